import { startTestApp, TestApp } from '../support/app';
import { bearer, freshIp, jsonPost, registerAndLogin, STRONG_PASSWORD } from '../support/auth-helpers';
import { adminQuery, createTestDatabase, TestDatabase } from '../support/database';
import { createKey, problem, userWithScopes, withKey } from '../support/key-helpers';
import { TestClock } from '../support/test-clock';

/** The sensitive scopes (design.md "Assurance"); libs/core/src/auth/scopes.ts holds the list. */
const SENSITIVE = ['profiles:read_sensitive', 'crypto:decrypt', 'crypto:rewrap', 'keys:verify', 'admin:all'];
const STALE_MINUTES = 16; // past the default 15-minute window, inside the 30-minute idle timeout

/**
 * Step-up for sensitive power (issue 18): a session that proved its password more than STEP_UP_MAX_AGE_MINUTES ago
 * may not mint a key with a sensitive scope, rotate one, reveal or export PII, change the password or grant scopes,
 * until `POST /v1/auth/reauthenticate` renews that same session.
 */
describe('step-up: recent authentication for sensitive actions (real PostgreSQL)', () => {
  let db: TestDatabase;
  let t: TestApp;
  const clock = new TestClock();

  beforeAll(async () => {
    db = await createTestDatabase();
    // Every request here comes from one address: the per-address limit on reauthenticate (10 a minute by default,
    // tested at its default in ip-throttle.e2e.ts) is raised so this file tests the step-up itself.
    t = await startTestApp({ db, clock, env: { IP_LIMIT_REAUTHENTICATE: '1000' } });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const post = (path: string, token: string, body: unknown = {}) => t.request(path, jsonPost(body, bearer(token)));
  const reauthenticate = (token: string, password = STRONG_PASSWORD) =>
    post('/v1/auth/reauthenticate', token, { password });
  const get = (path: string, token: string) => t.request(path, { headers: bearer(token) });
  const keyCount = async (userId: string) =>
    Number(
      (await adminQuery<{ n: string }>(db, 'SELECT count(*) AS n FROM api_keys WHERE owner_id = $1', [userId]))[0].n,
    );

  async function expectStale(res: Response): Promise<void> {
    expect(await problem(res)).toMatchObject({
      status: 403,
      code: 'RECENT_LOGIN_REQUIRED',
      reauthenticate: 'POST /v1/auth/reauthenticate',
    });
  }

  it('a stale session cannot mint a key with any sensitive scope; a plain key it can; reauthenticate lifts it', async () => {
    const admin = await userWithScopes(t, ['admin:all']); // holds every scope, so only the step-up can refuse
    clock.advanceMinutes(STALE_MINUTES);
    for (const scope of SENSITIVE) {
      await expectStale(
        await post('/v1/api-keys', admin.token, { name: 'step-up key', scopes: ['profiles:read', scope] }),
      );
    }
    expect(await keyCount(admin.userId)).toBe(0);
    const plain = await createKey(t, admin.token, { scopes: ['profiles:read', 'certificates:read', 'crypto:encrypt'] });
    expect(plain.scopes).toEqual(['certificates:read', 'crypto:encrypt', 'profiles:read']);

    const renewed = await reauthenticate(admin.token);
    expect(renewed.status).toBe(200);
    const body = (await renewed.json()) as { authenticatedAt: string; sensitiveActionsUntil: string };
    expect(Math.abs(Date.parse(body.authenticatedAt) - clock.now().getTime())).toBeLessThan(5_000);
    expect(Date.parse(body.sensitiveActionsUntil) - Date.parse(body.authenticatedAt)).toBe(15 * 60_000);
    const mighty = await createKey(t, admin.token, { scopes: SENSITIVE });
    expect(mighty.scopes).toHaveLength(SENSITIVE.length);

    // The window is renewed, not lifted: 16 minutes later the same session is refused again.
    clock.advanceMinutes(STALE_MINUTES);
    await expectStale(await post('/v1/api-keys', admin.token, { name: 'step-up key', scopes: ['keys:verify'] }));
  });

  it('a stale session cannot rotate a sensitive key (its successor is a new secret); widening is refused anyway', async () => {
    const u = await registerAndLogin(t);
    const sensitive = await createKey(t, u.token, { scopes: ['profiles:read', 'profiles:read_sensitive'] });
    const plain = await createKey(t, u.token, { scopes: ['profiles:read'] });
    clock.advanceMinutes(STALE_MINUTES);
    await expectStale(await post(`/v1/api-keys/${sensitive.id}/rotate`, u.token, { gracePeriodHours: 0 }));
    const [row] = await adminQuery<{ status: string }>(db, 'SELECT status FROM api_keys WHERE id = $1', [sensitive.id]);
    expect(row.status).toBe('active');
    expect(await keyCount(u.userId)).toBe(2);
    // Keys only ever narrow: widening a plain key to a sensitive scope is no way around the step-up.
    const widen = await t.request(`/v1/api-keys/${plain.id}`, {
      method: 'PATCH',
      headers: { ...bearer(u.token), 'content-type': 'application/json' },
      body: JSON.stringify({ scopes: ['profiles:read', 'profiles:read_sensitive'] }),
    });
    expect(await problem(widen)).toMatchObject({ status: 400, code: 'SCOPES_CAN_ONLY_NARROW' });
    // Narrowing the sensitive key gives no new power and stays open to the stale session.
    const narrow = await t.request(`/v1/api-keys/${sensitive.id}`, {
      method: 'PATCH',
      headers: { ...bearer(u.token), 'content-type': 'application/json' },
      body: JSON.stringify({ scopes: ['profiles:read'] }),
    });
    expect(narrow.status).toBe(200);
    // A key without a sensitive scope rotates as before.
    expect((await post(`/v1/api-keys/${plain.id}/rotate`, u.token, { gracePeriodHours: 0 })).status).toBe(201);
    const again = await createKey(t, u.token, { scopes: ['profiles:read_sensitive'] }).catch((e: Error) => e);
    expect(String(again)).toContain('RECENT_LOGIN_REQUIRED');
    expect((await reauthenticate(u.token)).status).toBe(200);
    const mighty = await createKey(t, u.token, { scopes: ['profiles:read_sensitive'] });
    expect((await post(`/v1/api-keys/${mighty.id}/rotate`, u.token, { gracePeriodHours: 0 })).status).toBe(201);
  });

  it('a stale session cannot reveal, export or change the password until it reauthenticates', async () => {
    const u = await registerAndLogin(t);
    const put = await t.request('/v1/profiles/me', {
      method: 'PUT',
      headers: { ...bearer(u.token), 'content-type': 'application/json' },
      body: JSON.stringify({ ssn: '078-05-1120' }),
    });
    expect(put.status).toBe(200);
    expect((await get('/v1/profiles/me?reveal=true', u.token)).status).toBe(200); // fresh from login
    expect((await get('/v1/profiles/me/export', u.token)).status).toBe(200);
    clock.advanceMinutes(STALE_MINUTES);
    await expectStale(await get('/v1/profiles/me?reveal=true', u.token));
    await expectStale(await get(`/v1/profiles/${u.userId}?reveal=true`, u.token));
    await expectStale(await get('/v1/profiles/me/export', u.token));
    // The current password is right: knowing it is not the step-up, proving it to reauthenticate is.
    const change = { currentPassword: STRONG_PASSWORD, newPassword: 'glacier mango tulip rocket' };
    await expectStale(await post('/v1/auth/password', u.token, change));
    // Masked reads and other routes are not sensitive.
    expect((await get('/v1/profiles/me', u.token)).status).toBe(200);
    const reveals = await adminQuery(
      db,
      `SELECT 1 FROM audit_events WHERE action = 'profile.reveal' AND target_id = $1`,
      [u.userId],
    );

    expect((await reauthenticate(u.token)).status).toBe(200);
    const revealed = (await (await get('/v1/profiles/me?reveal=true', u.token)).json()) as { ssn: string };
    expect(revealed.ssn).toBe('078-05-1120');
    expect((await get('/v1/profiles/me/export', u.token)).status).toBe(200);
    expect((await post('/v1/auth/password', u.token, change)).status).toBe(200);
    expect(
      await adminQuery(db, `SELECT 1 FROM audit_events WHERE action = 'profile.reveal' AND target_id = $1`, [u.userId]),
    ).toHaveLength(reveals.length + 1);
  });

  it('an administrator’s stale session cannot grant scopes (nor reveal another user’s PII) until it reauthenticates', async () => {
    const admin = await userWithScopes(t, ['admin:all']);
    const target = await registerAndLogin(t);
    clock.advanceMinutes(STALE_MINUTES);
    const grant = () =>
      t.request(`/v1/admin/users/${target.userId}/scopes`, {
        method: 'PATCH',
        headers: { ...bearer(admin.token), 'content-type': 'application/json' },
        body: JSON.stringify({ add: ['crypto:decrypt'] }),
      });
    await expectStale(await grant());
    await expectStale(await get(`/v1/profiles/${target.userId}?reveal=true`, admin.token));
    const [before] = await adminQuery<{ scopes: string[] }>(db, 'SELECT scopes FROM users WHERE id = $1', [
      target.userId,
    ]);
    expect(before.scopes).not.toContain('crypto:decrypt');
    expect((await reauthenticate(admin.token)).status).toBe(200);
    const granted = await grant();
    expect(granted.status).toBe(200);
    expect(((await granted.json()) as { scopes: string[] }).scopes).toContain('crypto:decrypt');
    expect((await get(`/v1/profiles/${target.userId}?reveal=true`, admin.token)).status).toBe(200);
  });

  it('no laundering through a key: an old session’s key holds no sensitive scope, and keys never mint keys', async () => {
    const u = await registerAndLogin(t);
    const fresh = await createKey(t, u.token, { scopes: ['profiles:read', 'profiles:read_sensitive'] });
    clock.advanceMinutes(STALE_MINUTES);
    const laundered = await createKey(t, u.token, { scopes: ['profiles:read'] });
    await problem(await t.request('/v1/profiles/me?reveal=true', withKey(laundered.key))).then((p) =>
      expect(p).toMatchObject({ status: 403, code: 'INSUFFICIENT_SCOPES' }),
    );
    await problem(await t.request('/v1/profiles/me/export', withKey(laundered.key))).then((p) =>
      expect(p).toMatchObject({ status: 403, code: 'INSUFFICIENT_SCOPES' }),
    );
    // A key (even one minted by a fresh session with a sensitive scope) cannot mint, rotate or reauthenticate.
    for (const key of [fresh.key, laundered.key]) {
      const mint = await t.request(
        '/v1/api-keys',
        jsonPost({ name: 'child', scopes: ['profiles:read_sensitive'] }, { 'x-api-key': key }),
      );
      expect(await problem(mint)).toMatchObject({ status: 403, code: 'SESSION_REQUIRED' });
      const rotate = await t.request(`/v1/api-keys/${fresh.id}/rotate`, jsonPost({}, { 'x-api-key': key }));
      expect(await problem(rotate)).toMatchObject({ status: 403, code: 'SESSION_REQUIRED' });
      const reauth = await t.request(
        '/v1/auth/reauthenticate',
        jsonPost({ password: STRONG_PASSWORD }, { authorization: `Bearer ${key}` }),
      );
      expect(await problem(reauth)).toMatchObject({ status: 403, code: 'SESSION_REQUIRED' });
    }
    expect(await keyCount(u.userId)).toBe(2);
    // The key minted under step-up keeps its power: revealing is what profiles:read_sensitive is for.
    expect((await t.request('/v1/profiles/me?reveal=true', withKey(fresh.key))).status).toBe(200);
    expect((await t.request('/v1/profiles/me/export', withKey(fresh.key))).status).toBe(200);
  });

  it('reauthenticate renews this session only, issues no token, and is audited', async () => {
    const u = await registerAndLogin(t);
    const login = await t.request(
      '/v1/auth/login',
      jsonPost({ email: u.user.email, password: STRONG_PASSWORD }, { 'x-forwarded-for': freshIp() }),
    );
    const other = ((await login.json()) as { token: string }).token;
    clock.advanceMinutes(STALE_MINUTES);
    const res = await reauthenticate(u.token);
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).not.toMatch(/token/i);
    const sessions = (await (await get('/v1/auth/sessions', u.token)).json()) as { items: unknown[] };
    expect(sessions.items).toHaveLength(2);
    expect((await get('/v1/profiles/me/export', u.token)).status).toBe(200);
    await expectStale(await get('/v1/profiles/me/export', other));
    const audits = await adminQuery<{ outcome: string; target_type: string }>(
      db,
      `SELECT outcome, target_type FROM audit_events WHERE action = 'auth.reauthenticate' AND actor_id = $1`,
      [u.userId],
    );
    expect(audits).toEqual([{ outcome: 'success', target_type: 'session' }]);
  });

  it('a wrong password does not renew, counts toward the lockout, and bad input is a 400 problem', async () => {
    const registered = await registerAndLogin(t);
    // Signed in again to hold the session's device token: the lockout counts a signed-in check under that device.
    const signedIn = (await (
      await t.request(
        '/v1/auth/login',
        jsonPost({ email: registered.user.email, password: STRONG_PASSWORD }, { 'x-forwarded-for': freshIp() }),
      )
    ).json()) as { token: string; deviceToken: string };
    const u = { ...registered, token: signedIn.token };
    clock.advanceMinutes(STALE_MINUTES);
    for (const body of [{}, { password: '' }, { password: 5 }, { password: 'x'.repeat(129) }]) {
      const res = await post('/v1/auth/reauthenticate', u.token, body);
      expect(await problem(res)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    }
    expect(await problem(await t.request('/v1/auth/reauthenticate', jsonPost({ password: 'x' })))).toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    for (let i = 0; i < 5; i++) {
      expect(await problem(await reauthenticate(u.token, 'wrong wrong wrong'))).toMatchObject({
        status: 400,
        code: 'CURRENT_PASSWORD_WRONG',
      });
    }
    await expectStale(await get('/v1/profiles/me/export', u.token));
    // Five wrong guesses locked the session's source (its device) out of the account: the right password no longer
    // renews, and a login with that device token is refused too; the owner's other sources are not locked.
    expect(await problem(await reauthenticate(u.token))).toMatchObject({ status: 400, code: 'CURRENT_PASSWORD_WRONG' });
    await expectStale(await get('/v1/profiles/me/export', u.token));
    const login = await t.request(
      '/v1/auth/login',
      jsonPost(
        { email: u.user.email, password: STRONG_PASSWORD, deviceToken: signedIn.deviceToken },
        { 'x-forwarded-for': freshIp() },
      ),
    );
    expect(login.status).toBe(401);
    const elsewhere = await t.request(
      '/v1/auth/login',
      jsonPost({ email: u.user.email, password: STRONG_PASSWORD }, { 'x-forwarded-for': freshIp() }),
    );
    expect(elsewhere.status).toBe(200);
    const failures = await adminQuery(
      db,
      `SELECT 1 FROM audit_events WHERE action = 'auth.reauthenticate' AND outcome = 'failure' AND actor_id = $1`,
      [u.userId],
    );
    expect(failures).toHaveLength(6);
  });

  it('honours STEP_UP_MAX_AGE_MINUTES', async () => {
    const short = await startTestApp({ db, clock, env: { STEP_UP_MAX_AGE_MINUTES: '2' } });
    try {
      const u = await registerAndLogin(short);
      const mint = () =>
        short.request(
          '/v1/api-keys',
          jsonPost({ name: 'step-up key', scopes: ['profiles:read_sensitive'] }, bearer(u.token)),
        );
      clock.advanceMinutes(1);
      expect((await mint()).status).toBe(201);
      clock.advanceMinutes(2);
      expect(await problem(await mint())).toMatchObject({ status: 403, code: 'RECENT_LOGIN_REQUIRED' });
      const renewed = (await (
        await short.request('/v1/auth/reauthenticate', jsonPost({ password: STRONG_PASSWORD }, bearer(u.token)))
      ).json()) as { authenticatedAt: string; sensitiveActionsUntil: string };
      expect(Date.parse(renewed.sensitiveActionsUntil) - Date.parse(renewed.authenticatedAt)).toBe(2 * 60_000);
      expect((await mint()).status).toBe(201);
    } finally {
      await short.close();
    }
  });
});
