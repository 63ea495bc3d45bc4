import { startTestApp, TestApp } from '../support/app';
import { bearer, freshIp, jsonPost, outbox, registerAndLogin, uniqueUser } from '../support/auth-helpers';
import { adminQuery } from '../support/database';
import { problem } from '../support/key-helpers';
import { RegistrationOptions, RequestOptions, SoftAuthenticator } from '../support/soft-authenticator';

/**
 * Passkeys over HTTP without a browser (issue 19), in the default tier: a software authenticator (ES256, attestation
 * "none"; test/support/soft-authenticator.ts) registers a passkey, signs in with it as a second factor and, with
 * PASSKEY_LOGIN, without a password. Replayed assertions, counters that do not grow, another origin and a missing
 * user verification are refused; recovery codes are regenerated and a factor renamed. RP ID and origin come from
 * PUBLIC_URL (here the test app's own URL). The Chromium run of the same flows is test/e2e/passkeys-browser.e2e.ts.
 */
describe('passkeys with a software authenticator (real PostgreSQL)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      // The lockout is mfa.e2e.ts's subject: here refusals of many kinds on one account would otherwise lock it.
      env: {
        PASSKEY_LOGIN: 'true',
        IP_LIMIT_LOGIN: '1000',
        IP_LIMIT_REAUTHENTICATE: '1000',
        LOCKOUT_MAX_ATTEMPTS: '50',
        LOCKOUT_UNTRUSTED_MAX_ATTEMPTS: '50',
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const post = (path: string, token: string, body: unknown = {}) => t.request(path, jsonPost(body, bearer(token)));
  const get = (path: string, token: string) => t.request(path, { headers: bearer(token) });
  const origin = () => new URL(t.url).origin;

  async function login(email: string, password: string) {
    const res = await t.request('/v1/auth/login', jsonPost({ email, password }, { 'x-forwarded-for': freshIp() }));
    expect(res.status).toBe(200);
    return (await res.json()) as { mfaRequired?: boolean; mfaToken: string; methods: string[]; token?: string };
  }
  const loginMfa = (body: Record<string, unknown>) =>
    t.request('/v1/auth/login/mfa', jsonPost(body, { 'x-forwarded-for': freshIp() }));
  const mfaOptions = async (mfaToken: string) => {
    const res = await t.request('/v1/auth/login/mfa/webauthn/options', jsonPost({ mfaToken }));
    expect(res.status).toBe(200);
    return (await res.json()) as RequestOptions;
  };
  const passkeyOptions = async () => {
    const res = await t.request('/v1/auth/passkey/options', jsonPost({}));
    expect(res.status).toBe(200);
    return (await res.json()) as RequestOptions & { userVerification: string };
  };
  const passkeyLogin = (webauthn: Record<string, unknown>) =>
    t.request('/v1/auth/passkey/login', jsonPost({ webauthn }, { 'x-forwarded-for': freshIp() }));

  /** A user whose first factor is a passkey of `authenticator` (its session now aal2, with recovery codes). */
  async function withPasskey(authenticator = new SoftAuthenticator(origin())) {
    const u = await registerAndLogin(t, uniqueUser('pk'));
    const optionsRes = await post('/v1/auth/mfa/webauthn/register/options', u.token);
    expect(optionsRes.status).toBe(200);
    const options = (await optionsRes.json()) as RegistrationOptions;
    const response = authenticator.register(options);
    const verify = await post('/v1/auth/mfa/webauthn/register/verify', u.token, { response, name: 'Laptop' });
    expect(verify.status).toBe(200);
    const confirmed = (await verify.json()) as { factor: { id: string; kind: string }; recoveryCodes: string[] };
    return { ...u, authenticator, factor: confirmed.factor, recoveryCodes: confirmed.recoveryCodes };
  }

  it('registers a passkey (stored public key only), then signs in with it as the second factor (aal2)', async () => {
    const u = await withPasskey();
    expect(u.factor.kind).toBe('webauthn');
    expect(u.recoveryCodes).toHaveLength(10);
    const [row] = await adminQuery<{ credential_id: string; sign_count: string }>(
      t.db,
      'SELECT credential_id, sign_count FROM mfa_factors WHERE id = $1',
      [u.factor.id],
    );
    expect(row).toMatchObject({ credential_id: u.authenticator.credentials[0].id, sign_count: '0' });
    expect((await outbox(t, u.user.email)).map((m) => m.kind)).toContain('mfa.factor_added');

    const first = await login(u.user.email, u.user.password);
    expect(first).toMatchObject({ mfaRequired: true, methods: expect.arrayContaining(['webauthn']) });
    expect(first.token).toBeUndefined();
    const options = await mfaOptions(first.mfaToken);
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([u.authenticator.credentials[0].id]);
    const ok = await loginMfa({ mfaToken: first.mfaToken, webauthn: u.authenticator.assert(options) });
    expect(ok.status).toBe(200);
    const session = (await ok.json()) as { token: string };
    expect(((await (await get('/v1/me', session.token)).json()) as { aal: string }).aal).toBe('aal2');
    const [after] = await adminQuery<{ sign_count: string; last_used_at: Date | null }>(
      t.db,
      'SELECT sign_count, last_used_at FROM mfa_factors WHERE id = $1',
      [u.factor.id],
    );
    expect(after.sign_count).toBe('1');
    expect(after.last_used_at).not.toBeNull();
  });

  it('a replayed assertion (its challenge spent) and an assertion for another origin are refused', async () => {
    const u = await withPasskey();
    const a = await login(u.user.email, u.user.password);
    const assertion = u.authenticator.assert(await mfaOptions(a.mfaToken));
    expect((await loginMfa({ mfaToken: a.mfaToken, webauthn: assertion })).status).toBe(200);
    // The same assertion with a fresh password step: its challenge was spent by the first use.
    const b = await login(u.user.email, u.user.password);
    expect((await problem(await loginMfa({ mfaToken: b.mfaToken, webauthn: assertion }))).code).toBe(
      'SECOND_FACTOR_INVALID',
    );
    // A fresh challenge signed on another origin (a phishing page relaying the ceremony): refused.
    const c = await login(u.user.email, u.user.password);
    const phished = u.authenticator.assert(await mfaOptions(c.mfaToken), { origin: 'http://evil.example' });
    expect((await problem(await loginMfa({ mfaToken: c.mfaToken, webauthn: phished }))).code).toBe(
      'SECOND_FACTOR_INVALID',
    );
    // A signature made by another key for this credential id: refused.
    const d = await login(u.user.email, u.user.password);
    const other = new SoftAuthenticator(origin());
    other.register({ challenge: 'x', rp: {}, user: { id: 'eA' } });
    other.credentials[0].id = u.authenticator.credentials[0].id;
    const forged = other.assert(await mfaOptions(d.mfaToken));
    expect((await problem(await loginMfa({ mfaToken: d.mfaToken, webauthn: forged }))).code).toBe(
      'SECOND_FACTOR_INVALID',
    );
    // Another user's second-step challenge cannot be answered with this user's passkey.
    const stranger = await withPasskey();
    const e = await login(stranger.user.email, stranger.user.password);
    const crossed = u.authenticator.assert(await mfaOptions(e.mfaToken));
    expect((await problem(await loginMfa({ mfaToken: e.mfaToken, webauthn: crossed }))).code).toBe(
      'SECOND_FACTOR_INVALID',
    );
  });

  it('a signature counter that does not grow is refused (a cloned authenticator)', async () => {
    const u = await withPasskey(new SoftAuthenticator(origin(), 5));
    const a = await login(u.user.email, u.user.password);
    const ok = u.authenticator.assert(await mfaOptions(a.mfaToken), { signCount: 9 });
    expect((await loginMfa({ mfaToken: a.mfaToken, webauthn: ok })).status).toBe(200);
    for (const signCount of [9, 7, 0]) {
      const b = await login(u.user.email, u.user.password);
      const stale = u.authenticator.assert(await mfaOptions(b.mfaToken), { signCount });
      expect((await problem(await loginMfa({ mfaToken: b.mfaToken, webauthn: stale }))).code).toBe(
        'SECOND_FACTOR_INVALID',
      );
    }
    const [row] = await adminQuery<{ sign_count: string }>(t.db, 'SELECT sign_count FROM mfa_factors WHERE id = $1', [
      u.factor.id,
    ]);
    expect(row.sign_count).toBe('9');
    const c = await login(u.user.email, u.user.password);
    const grown = u.authenticator.assert(await mfaOptions(c.mfaToken), { signCount: 10 });
    expect((await loginMfa({ mfaToken: c.mfaToken, webauthn: grown })).status).toBe(200);
  });

  it('PASSKEY_LOGIN: passwordless sign-in with user verification gives an aal2 session; replay and no-UV refused', async () => {
    const u = await withPasskey();
    const options = await passkeyOptions();
    expect(options.userVerification).toBe('required');
    expect(options.allowCredentials ?? []).toEqual([]);
    const assertion = u.authenticator.assert(options);
    const res = await passkeyLogin(assertion);
    expect(res.status).toBe(200);
    const session = (await res.json()) as { token: string; user: { id: string } };
    expect(session.user.id).toBe(u.userId);
    expect(((await (await get('/v1/me', session.token)).json()) as { aal: string }).aal).toBe('aal2');
    // Replayed: refused.
    expect((await problem(await passkeyLogin(assertion))).code).toBe('SECOND_FACTOR_INVALID');
    // Without user verification the passkey is one factor only: refused for passwordless sign-in.
    const noUv = u.authenticator.assert(await passkeyOptions(), { userVerified: false });
    expect((await problem(await passkeyLogin(noUv))).code).toBe('SECOND_FACTOR_INVALID');
    // An unknown credential: refused alike.
    const stranger = new SoftAuthenticator(origin());
    stranger.register({ challenge: 'x', rp: {}, user: { id: 'eA' } });
    expect((await problem(await passkeyLogin(stranger.assert(await passkeyOptions())))).code).toBe(
      'SECOND_FACTOR_INVALID',
    );
    // The passkey still works afterwards (the refusals spent nothing of it).
    expect((await passkeyLogin(u.authenticator.assert(await passkeyOptions()))).status).toBe(200);
  });

  it('regenerates recovery codes (the old ones stop working) and renames a factor (only my own)', async () => {
    const u = await withPasskey();
    const regen = await post('/v1/auth/mfa/recovery-codes', u.token);
    expect(regen.status).toBe(200);
    const { recoveryCodes } = (await regen.json()) as { recoveryCodes: string[] };
    expect(recoveryCodes).toHaveLength(10);
    expect(recoveryCodes.filter((c) => u.recoveryCodes.includes(c))).toEqual([]);
    expect((await outbox(t, u.user.email)).length).toBeGreaterThan(0);
    const a = await login(u.user.email, u.user.password);
    expect((await problem(await loginMfa({ mfaToken: a.mfaToken, recoveryCode: u.recoveryCodes[0] }))).code).toBe(
      'SECOND_FACTOR_INVALID',
    );
    expect((await loginMfa({ mfaToken: a.mfaToken, recoveryCode: recoveryCodes[0] })).status).toBe(200);

    const rename = (token: string, name: unknown) =>
      t.request(`/v1/auth/mfa/factors/${u.factor.id}`, { ...jsonPost({ name }, bearer(token)), method: 'PATCH' });
    const renamed = await rename(u.token, 'YubiKey 5C');
    expect(renamed.status).toBe(200);
    expect(await renamed.json()).toMatchObject({ id: u.factor.id, kind: 'webauthn', name: 'YubiKey 5C' });
    const status = (await (await get('/v1/auth/mfa', u.token)).json()) as { factors: { name: string }[] };
    expect(status.factors.map((f) => f.name)).toEqual(['YubiKey 5C']);
    expect((await rename(u.token, ' leading space')).status).toBe(400);
    expect((await rename(u.token, 'bad\u0007name')).status).toBe(400);
    const stranger = await registerAndLogin(t, uniqueUser('pk'));
    expect((await problem(await rename(stranger.token, 'Mine now'))).code).toBe('MFA_FACTOR_NOT_FOUND');
  });
});
