import { Secret, TOTP } from 'otpauth';
import { AdminUsersService } from '@app/auth';
import { AccountCounts } from '@app/core';
import { startTestApp, TestApp } from '../support/app';
import { bearer, freshIp, jsonPost, outbox, registerAndLogin, uniqueUser } from '../support/auth-helpers';
import { adminQuery, createTestDatabase, TestDatabase } from '../support/database';
import { problem } from '../support/key-helpers';
import { TestClock } from '../support/test-clock';

const STEP_MS = 30_000;

/**
 * Second factors over HTTP on real PostgreSQL (issue 19): TOTP enrolment and login with a factor, one-time codes,
 * the shared lockout, recovery codes, assurance levels (aal1/aal2) in sessions, /v1/me and the access pipeline,
 * MFA_REQUIRED_ROLES for admins, step-up with a factor, factor management and the admin reset.
 */
describe('second factors: TOTP, recovery codes, aal2 (real PostgreSQL)', () => {
  let db: TestDatabase;
  let t: TestApp;
  const clock = new TestClock();

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, clock, env: { IP_LIMIT_LOGIN: '1000', IP_LIMIT_REAUTHENTICATE: '1000' } });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const post = (path: string, token: string, body: unknown = {}) => t.request(path, jsonPost(body, bearer(token)));
  const get = (path: string, token: string) => t.request(path, { headers: bearer(token) });
  const code = (secret: string, offsetSteps = 0) =>
    TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: clock.now().getTime() + offsetSteps * STEP_MS });
  const nextStep = () => clock.advance(STEP_MS);

  async function login(email: string, password: string, ip = freshIp()) {
    const res = await t.request('/v1/auth/login', jsonPost({ email, password }, { 'x-forwarded-for': ip }));
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  const loginMfa = (body: Record<string, unknown>, ip = freshIp()) =>
    t.request('/v1/auth/login/mfa', jsonPost(body, { 'x-forwarded-for': ip }));

  /** A user with a confirmed authenticator: its base32 secret, recovery codes and the (now aal2) session. */
  async function enrolled(user = uniqueUser('mfa')) {
    const u = await registerAndLogin(t, user);
    const start = await post('/v1/auth/mfa/totp', u.token, { name: 'Phone' });
    expect(start.status).toBe(201);
    const enrolment = (await start.json()) as { secret: string; otpauthUri: string; qrSvg: string; factorId: string };
    const confirm = await post('/v1/auth/mfa/totp/confirm', u.token, { code: code(enrolment.secret) });
    expect(confirm.status).toBe(200);
    const confirmed = (await confirm.json()) as { recoveryCodes: string[] };
    nextStep(); // the confirming code's step is spent
    return { ...u, secret: enrolment.secret, enrolment, recoveryCodes: confirmed.recoveryCodes };
  }

  it('enrolment shows the secret once (otpauth URI, QR SVG) and stores it sealed; confirming yields 10 codes', async () => {
    const u = await enrolled();
    expect(u.enrolment.otpauthUri).toMatch(/^otpauth:\/\/totp\/.*secret=[A-Z2-7]+.*algorithm=SHA1&digits=6&period=30/);
    expect(u.enrolment.qrSvg).toMatch(/^<svg/);
    expect(u.recoveryCodes).toHaveLength(10);
    for (const c of u.recoveryCodes) expect(c).toMatch(/^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
    expect(new Set(u.recoveryCodes).size).toBe(10);
    const [row] = await adminQuery<{ secret_ct: string; key_version: number }>(
      db,
      'SELECT secret_ct, key_version FROM mfa_factors WHERE id = $1',
      [u.enrolment.factorId],
    );
    expect(row.secret_ct).not.toContain(u.secret);
    expect(Buffer.from(row.secret_ct).toString()).not.toContain(u.secret);
    const hashes = await adminQuery<{ code_hash: string }>(
      db,
      'SELECT code_hash FROM mfa_recovery_codes WHERE user_id = $1',
      [u.userId],
    );
    expect(hashes).toHaveLength(10);
    for (const h of hashes) expect(h.code_hash).toMatch(/^\$argon2id\$/);
    // Audited and mailed.
    expect((await outbox(t, u.user.email)).map((m) => m.kind)).toContain('mfa.factor_added');
    // The admin's view of the user counts the factor, and the user list's mfa filter finds it (AccountCounts).
    const counts = t.app.get(AccountCounts);
    expect((await counts.of(u.userId)).factors).toBe(1);
    const [listed] = await adminQuery<{ has: boolean }>(
      db,
      `SELECT ${counts.existsSql('factors', 'u.id')} AS has FROM users u WHERE u.id = $1`,
      [u.userId],
    );
    expect(listed.has).toBe(true);
    const status = (await (await get('/v1/auth/mfa', u.token)).json()) as {
      recoveryCodesLeft: number;
      mfaEnabled: boolean;
    };
    expect(status).toMatchObject({ mfaEnabled: true, recoveryCodesLeft: 10 });
    // The secret never reached the logs.
    expect(t.logs.text).not.toContain(u.secret);
  });

  it('login then needs the code: a challenge without a session, then aal2; a reused code is refused', async () => {
    const u = await enrolled();
    const first = await login(u.user.email, u.user.password);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ mfaRequired: true, methods: ['totp', 'recoveryCode'] });
    expect(first.body.token).toBeUndefined();
    expect(first.body.mfaToken).toMatch(/^mfa_/);
    const totp = code(u.secret);
    const second = await loginMfa({ mfaToken: first.body.mfaToken, totp });
    expect(second.status).toBe(200);
    const session = (await second.json()) as { token: string };
    const me = (await (await get('/v1/me', session.token)).json()) as { aal: string; mfaEnabled: boolean };
    expect(me).toMatchObject({ aal: 'aal2', mfaEnabled: true });
    const sessions = (await (await get('/v1/auth/sessions', session.token)).json()) as {
      items: { current: boolean; aal: string; secondFactorAt: string | null }[];
    };
    expect(sessions.items.find((s) => s.current)).toMatchObject({ aal: 'aal2', secondFactorAt: expect.any(String) });

    // The same code again, with a fresh password step (another instance would share the same row): refused.
    const again = await login(u.user.email, u.user.password);
    expect((await problem(await loginMfa({ mfaToken: again.body.mfaToken, totp }))).code).toBe('SECOND_FACTOR_INVALID');
    // The mfaToken already used cannot be used again, even with a new valid code.
    nextStep();
    expect((await problem(await loginMfa({ mfaToken: first.body.mfaToken, totp: code(u.secret) }))).code).toBe(
      'MFA_TOKEN_INVALID',
    );
    // An older code of the window is refused too: once the next step's code (+1) is used, the current one (0) is
    // older than the last step used, though within the drift window.
    const ahead = await login(u.user.email, u.user.password);
    expect((await loginMfa({ mfaToken: ahead.body.mfaToken, totp: code(u.secret, 1) })).status).toBe(200);
    expect((await problem(await loginMfa({ mfaToken: again.body.mfaToken, totp: code(u.secret) }))).code).toBe(
      'SECOND_FACTOR_INVALID',
    );
  });

  it('±1 step of drift is accepted; two steps are not', async () => {
    const u = await enrolled();
    nextStep();
    nextStep();
    const a = await login(u.user.email, u.user.password);
    expect((await loginMfa({ mfaToken: a.body.mfaToken, totp: code(u.secret, -2) })).status).toBe(401);
    expect((await loginMfa({ mfaToken: a.body.mfaToken, totp: code(u.secret, -1) })).status).toBe(200);
    const b = await login(u.user.email, u.user.password);
    expect((await loginMfa({ mfaToken: b.body.mfaToken, totp: code(u.secret, 2) })).status).toBe(401);
    expect((await loginMfa({ mfaToken: b.body.mfaToken, totp: code(u.secret, 1) })).status).toBe(200);
  });

  it('wrong codes count toward the per-(account, source) lockout like passwords: that source is locked, not the account', async () => {
    const u = await enrolled();
    const A = '203.0.113.7'; // a network this account never signed in from
    const wrong = code(u.secret) === '000000' ? '111111' : '000000';
    const attempts = async (source: string) =>
      adminQuery<{ failed_attempts: number; locked: boolean }>(
        db,
        'SELECT failed_attempts, locked_until > now() AS locked FROM login_attempts WHERE subject = $1 AND source = $2',
        [`user:${u.userId}`, source],
      );
    const { body } = await login(u.user.email, u.user.password, A);
    // The password step holds its attempt on A's row until the factor is proven.
    expect((await attempts('net:203.0.113.0/24'))[0]?.failed_attempts).toBe(1);
    // The factor step counts on the password step's source (A), from whatever address it is sent: 4 wrong codes reach
    // the limit of 5; the 5th and 6th codes (even right ones) are refused unverified.
    for (let i = 0; i < 4; i++) expect((await loginMfa({ mfaToken: body.mfaToken, totp: wrong })).status).toBe(401);
    for (let i = 0; i < 2; i++)
      expect((await problem(await loginMfa({ mfaToken: body.mfaToken, totp: code(u.secret) }))).code).toBe(
        'SECOND_FACTOR_INVALID',
      );
    expect((await attempts('net:203.0.113.0/24'))[0]?.locked).toBe(true);
    const locks = await adminQuery<{ details: { scope: string; source: string } }>(
      db,
      `SELECT details FROM audit_events WHERE action = 'auth.lockout' AND target_id = $1`,
      [u.userId],
    );
    expect(locks.map((l) => l.details)).toEqual([
      expect.objectContaining({ scope: 'source', source: 'net:203.0.113.0/24' }),
    ]);
    // That source is locked out, even with the right password …
    expect((await login(u.user.email, u.user.password, '203.0.113.8')).status).toBe(401);
    // … the account is not: its known network signs in with password and code.
    const home = await login(u.user.email, u.user.password);
    const ok = await loginMfa({ mfaToken: home.body.mfaToken, totp: code(u.secret) });
    expect(ok.status).toBe(200);
    // A factor login issues the device token (body and cookie) like a password login, and ends the source's run.
    const session = (await ok.json()) as { deviceToken: string };
    expect(session.deviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(ok.headers.get('set-cookie')).toMatch(/^__Host-device=/);
    expect(await attempts('net:198.51.100.0/24')).toEqual([]);
    // After the lock ends, A signs in too (and is then remembered as a known network of the account).
    clock.advanceMinutes(31);
    nextStep();
    const again = await login(u.user.email, u.user.password, A);
    expect((await loginMfa({ mfaToken: again.body.mfaToken, totp: code(u.secret) }, A)).status).toBe(200);
    expect(await attempts('net:203.0.113.0/24')).toEqual([]);
    const known = await adminQuery<{ network: string }>(db, 'SELECT network FROM known_sources WHERE user_id = $1', [
      u.userId,
    ]);
    expect(known.map((k) => k.network)).toContain('203.0.113.0/24');
  });

  it('a device that proved a factor skips the step for MFA_REMEMBER_DEVICE_DAYS (aal1; not for admins); wrong codes elsewhere never lock it', async () => {
    const u = await enrolled();
    const first = await login(u.user.email, u.user.password);
    const signedIn = (await (await loginMfa({ mfaToken: first.body.mfaToken, totp: code(u.secret) })).json()) as {
      deviceToken: string;
    };
    nextStep();
    // An attacker with the password, on another network, locks that network out with wrong codes.
    const B = '192.0.2.44';
    const stolen = await login(u.user.email, u.user.password, B);
    const wrong = code(u.secret) === '000000' ? '111111' : '000000';
    for (let i = 0; i < 6; i++)
      expect((await loginMfa({ mfaToken: stolen.body.mfaToken, totp: wrong })).status).toBe(401);
    expect((await login(u.user.email, u.user.password, B)).status).toBe(401);
    const withDevice = (ip: string) =>
      t.request(
        '/v1/auth/login',
        jsonPost(
          { email: u.user.email, password: u.user.password, deviceToken: signedIn.deviceToken },
          {
            'x-forwarded-for': ip,
          },
        ),
      );
    // The owner's device (its token, even from B) is its own source, and it proved a factor: a session at once, aal1
    // (sensitive actions still need the factor), the device token renewed.
    const res = await withDevice(B);
    expect(res.status).toBe(200);
    const remembered = (await res.json()) as { token?: string; mfaRequired?: boolean; deviceToken: string };
    expect(remembered.mfaRequired).toBeUndefined();
    expect(remembered.deviceToken).toBe(signedIn.deviceToken);
    expect(((await (await get('/v1/me', remembered.token!)).json()) as { aal: string }).aal).toBe('aal1');
    // Without the device token the factor is asked for as before.
    expect((await login(u.user.email, u.user.password)).body.mfaRequired).toBe(true);
    // After MFA_REMEMBER_DEVICE_DAYS (30) the device is asked again …
    clock.advanceMinutes(31 * 24 * 60);
    const later = (await (await withDevice(freshIp())).json()) as { mfaRequired?: boolean; mfaToken: string };
    expect(later.mfaRequired).toBe(true);
    const done = await loginMfa({ mfaToken: later.mfaToken, totp: code(u.secret), deviceToken: signedIn.deviceToken });
    expect(done.status).toBe(200);
    expect(((await withDevice(freshIp()).then((r) => r.json())) as { token?: string }).token).toBeDefined();
    // … and never for a role that must have a factor (MFA_REQUIRED_ROLES, default admin).
    await adminQuery(db, `UPDATE users SET role = 'admin' WHERE id = $1`, [u.userId]);
    expect(((await withDevice(freshIp()).then((r) => r.json())) as { mfaRequired?: boolean }).mfaRequired).toBe(true);
  });

  it('a recovery code works once, in any case and with or without dashes; its use is audited and mailed', async () => {
    const u = await enrolled();
    const rc = u.recoveryCodes[3];
    const a = await login(u.user.email, u.user.password);
    const ok = await loginMfa({ mfaToken: a.body.mfaToken, recoveryCode: rc.toUpperCase().replace(/-/g, ' ') });
    expect(ok.status).toBe(200);
    const b = await login(u.user.email, u.user.password);
    expect((await problem(await loginMfa({ mfaToken: b.body.mfaToken, recoveryCode: rc }))).code).toBe(
      'SECOND_FACTOR_INVALID',
    );
    const token = ((await ok.json()) as { token: string }).token;
    expect(((await (await get('/v1/auth/mfa', token)).json()) as { recoveryCodesLeft: number }).recoveryCodesLeft).toBe(
      9,
    );
    expect((await outbox(t, u.user.email)).map((m) => m.kind)).toContain('mfa.recovery_code_used');
    const audit = await adminQuery<{ action: string }>(
      db,
      `SELECT action FROM audit_events WHERE target_id = $1 AND action = 'mfa.recovery_code_used'`,
      [u.userId],
    );
    expect(audit).toHaveLength(1);
  });

  it('a password changed after the first step voids its mfaToken; garbage tokens are refused alike', async () => {
    const u = await enrolled();
    const a = await login(u.user.email, u.user.password);
    await adminQuery(db, `UPDATE users SET password_hash = password_hash || 'x' WHERE id = $1`, [u.userId]);
    expect((await problem(await loginMfa({ mfaToken: a.body.mfaToken, totp: code(u.secret) }))).code).toBe(
      'MFA_TOKEN_INVALID',
    );
    for (const mfaToken of ['mfa_' + 'A'.repeat(43), 'nonsense', a.body.token ?? 'x'])
      expect((await problem(await loginMfa({ mfaToken, totp: '123456' }))).code).toBe('MFA_TOKEN_INVALID');
  });

  it('an expired mfaToken is refused', async () => {
    const u = await enrolled();
    const a = await login(u.user.email, u.user.password);
    clock.advanceMinutes(6);
    expect((await problem(await loginMfa({ mfaToken: a.body.mfaToken, totp: code(u.secret) }))).code).toBe(
      'MFA_TOKEN_INVALID',
    );
  });

  it('a sensitive action from an aal1 session of a user with a factor is refused until stepped up with one', async () => {
    const u = await registerAndLogin(t, uniqueUser('aal'));
    const other = await login(u.user.email, u.user.password); // an aal1 session before enrolment
    const start = (await (await post('/v1/auth/mfa/totp', u.token)).json()) as { secret: string };
    await post('/v1/auth/mfa/totp/confirm', u.token, { code: code(start.secret) });
    nextStep();
    // Enrolment ended the other session (ASVS 7.4.3).
    expect((await get('/v1/me', other.body.token as string)).status).toBe(401);
    // A fresh password-only session cannot exist any more; simulate an aal1 session of this user directly.
    await adminQuery(db, `UPDATE sessions SET aal = 'aal1' WHERE user_id = $1`, [u.userId]);
    const reveal = await get('/v1/profiles/me/export', u.token);
    expect(await problem(reveal)).toMatchObject({ status: 403, code: 'SECOND_FACTOR_REQUIRED' });
    // Reauthenticating with the password renews recency but not the factor.
    expect((await post('/v1/auth/reauthenticate', u.token, { password: u.user.password })).status).toBe(200);
    expect((await problem(await get('/v1/profiles/me/export', u.token))).code).toBe('SECOND_FACTOR_REQUIRED');
    // A wrong code is refused; the right one steps up to aal2.
    expect((await problem(await post('/v1/auth/reauthenticate', u.token, { totp: '000001' }))).code).toBe(
      'SECOND_FACTOR_INVALID',
    );
    expect((await post('/v1/auth/reauthenticate', u.token, { totp: code(u.user && start.secret) })).status).toBe(200);
    expect((await get('/v1/profiles/me/export', u.token)).status).not.toBe(403);
    // Both proofs at once are refused.
    expect((await post('/v1/auth/reauthenticate', u.token, { password: 'x', totp: '123456' })).status).toBe(400);
  });

  it('an admin without a factor may only enrol (403 MFA_ENROLMENT_REQUIRED elsewhere) until it has one', async () => {
    const admin = uniqueUser('admin');
    await t.app.get(AdminUsersService).createAdmin(admin);
    const a = await login(admin.email, admin.password);
    expect(a.body.token).toEqual(expect.any(String));
    const token = a.body.token as string;
    const victim = await registerAndLogin(t);
    const grant = () =>
      t.request(`/v1/admin/users/${victim.userId}/scopes`, {
        ...jsonPost({ add: ['keys:verify'], remove: [] }, bearer(token)),
        method: 'PATCH',
      });
    expect(await problem(await grant())).toMatchObject({ status: 403, code: 'MFA_ENROLMENT_REQUIRED' });
    expect((await problem(await get('/v1/api-keys', token))).code).toBe('MFA_ENROLMENT_REQUIRED');
    expect((await get('/v1/me', token)).status).toBe(200);
    expect((await get('/v1/auth/sessions', token)).status).toBe(200);
    const start = (await (await post('/v1/auth/mfa/totp', token)).json()) as { secret: string };
    expect((await post('/v1/auth/mfa/totp/confirm', token, { code: code(start.secret) })).status).toBe(200);
    // The enrolling session proved the factor: aal2, and admin:all works.
    expect((await grant()).status).toBe(200);
    // The hourly retention job of this context runs (spent second-step tokens and challenges).
    const run = await post('/v1/admin/jobs/mfa.purge/run', token);
    expect(await run.json()).toMatchObject({
      status: 'ran',
      outcome: 'success',
      counts: { expired: expect.any(Number) },
    });
  });

  it('removing a factor and an admin reset end sessions, are audited and mailed; another user’s factor is 404', async () => {
    const u = await enrolled();
    const stranger = await enrolled();
    const status = (await (await get('/v1/auth/mfa', u.token)).json()) as { factors: { id: string }[] };
    expect(
      (
        await problem(
          await t.request(`/v1/auth/mfa/factors/${status.factors[0].id}`, {
            method: 'DELETE',
            headers: bearer(stranger.token),
          }),
        )
      ).code,
    ).toBe('MFA_FACTOR_NOT_FOUND');
    const removed = await t.request(`/v1/auth/mfa/factors/${status.factors[0].id}`, {
      method: 'DELETE',
      headers: bearer(u.token),
    });
    expect(removed.status).toBe(200);
    expect(await removed.json()).toMatchObject({ mfaEnabled: false });
    expect((await outbox(t, u.user.email)).map((m) => m.kind)).toContain('mfa.factor_removed');
    // Without a factor the login gives a session at once, and no recovery code is left.
    const again = await login(u.user.email, u.user.password);
    expect(again.body.token).toEqual(expect.any(String));
    expect(
      ((await (await get('/v1/auth/mfa', u.token)).json()) as { recoveryCodesLeft: number }).recoveryCodesLeft,
    ).toBe(0);

    // The admin reset, by an admin (with its own factor, aal2).
    const admin = uniqueUser('admin');
    await t.app.get(AdminUsersService).createAdmin(admin);
    const a = await login(admin.email, admin.password);
    const adminToken = a.body.token as string;
    const s = (await (await post('/v1/auth/mfa/totp', adminToken)).json()) as { secret: string };
    await post('/v1/auth/mfa/totp/confirm', adminToken, { code: code(s.secret) });
    const reset = await post(`/v1/admin/users/${stranger.userId}/mfa/reset`, adminToken);
    expect(reset.status).toBe(200);
    expect(await reset.json()).toMatchObject({ factorsRemoved: 1, sessionsEnded: expect.any(Number) });
    expect((await get('/v1/me', stranger.token)).status).toBe(401);
    expect((await outbox(t, stranger.user.email)).map((m) => m.kind)).toContain('mfa.reset');
    expect((await login(stranger.user.email, stranger.user.password)).body.token).toEqual(expect.any(String));
    // A plain user cannot reset anyone's factors.
    expect((await post(`/v1/admin/users/${u.userId}/mfa/reset`, again.body.token as string)).status).toBe(403);
  });
  it('passkey routes without a browser: passwordless is off by default; forged ceremonies are refused', async () => {
    expect(await problem(await t.request('/v1/auth/passkey/options', jsonPost({})))).toMatchObject({
      status: 404,
      code: 'PASSKEY_LOGIN_DISABLED',
    });
    expect((await problem(await t.request('/v1/auth/passkey/login', jsonPost({ webauthn: { id: 'x' } })))).code).toBe(
      'PASSKEY_LOGIN_DISABLED',
    );
    const u = await registerAndLogin(t, uniqueUser('wa'));
    const options = (await (await post('/v1/auth/mfa/webauthn/register/options', u.token)).json()) as {
      challenge: string;
      rp: { id: string };
    };
    expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(options.rp.id).toBe(new URL(t.url).hostname);
    // A registration whose clientDataJSON names the issued challenge but carries no valid attestation: refused, and
    // the challenge is spent (a second try with it is refused before any verification).
    const clientDataJSON = Buffer.from(
      JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin: t.url }),
    ).toString('base64url');
    const forged = {
      id: 'AQID',
      rawId: 'AQID',
      type: 'public-key',
      response: { clientDataJSON, attestationObject: 'AA' },
    };
    for (let i = 0; i < 2; i++)
      expect(
        (await problem(await post('/v1/auth/mfa/webauthn/register/verify', u.token, { response: forged }))).code,
      ).toBe('WEBAUTHN_REGISTRATION_FAILED');
    expect(((await (await get('/v1/auth/mfa', u.token)).json()) as { factors: unknown[] }).factors).toEqual([]);
    // Options for a second step need a live mfaToken.
    expect(
      (
        await problem(
          await t.request('/v1/auth/login/mfa/webauthn/options', jsonPost({ mfaToken: 'mfa_' + 'B'.repeat(43) })),
        )
      ).code,
    ).toBe('MFA_TOKEN_INVALID');
  });
});
