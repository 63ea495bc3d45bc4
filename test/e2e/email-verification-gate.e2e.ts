import { AdminUsersService } from '@app/auth';
import { startTestApp, TestApp } from '../support/app';
import { bearer, jsonPost, outbox, registerAndLogin, tokenIn, verifyEmail } from '../support/auth-helpers';
import { adminQuery, createTestDatabase, TestDatabase } from '../support/database';
import { createKey, problem, SHARED_PEPPER, userWithScopes, withKey } from '../support/key-helpers';
import { waitFor } from '../support/ports';

/**
 * Verified email (issue 18, finding 4): until the address is verified an account may only use the allow-list of
 * docs/auth.md (sign out, its sessions, /v1/me, its public profile, resend); everything else answers 403
 * EMAIL_NOT_VERIFIED, whoever asks (admins too) and with whatever credential (a key acts for its owner as the owner is
 * now). REQUIRE_VERIFIED_EMAIL is per instance: `t` has the default (on), `off` shares its database with it off.
 */
describe('verified email gate (real PostgreSQL)', () => {
  let db: TestDatabase;
  let t: TestApp;
  let off: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { API_KEY_PEPPERS: SHARED_PEPPER } });
    off = await startTestApp({ db, env: { API_KEY_PEPPERS: SHARED_PEPPER, REQUIRE_VERIFIED_EMAIL: 'false' } });
  });
  afterAll(async () => {
    await t?.stop();
    await off?.stop();
    await db?.drop();
  });

  const SSN = '123-45-6789';
  const grant = (userId: string, scopes: string[]) =>
    t.app.get(AdminUsersService).changeScopes(undefined, userId, scopes, []);
  const unverifiedUser = (app: TestApp = t) => registerAndLogin(app, undefined, { verified: false });
  const keyCount = async (userId: string) =>
    Number(
      (await adminQuery<{ n: string }>(db, 'SELECT count(*) AS n FROM api_keys WHERE owner_id = $1', [userId]))[0].n,
    );

  async function expectUnverified(res: Response): Promise<void> {
    expect(await problem(res)).toMatchObject({
      status: 403,
      code: 'EMAIL_NOT_VERIFIED',
      resendVerification: 'POST /v1/auth/email/resend',
      detail: expect.stringContaining('POST /v1/auth/email/resend'),
    });
  }

  /** The requests an unverified account must not get through, each from a principal that holds the scope it needs. */
  function refusedRequests(app: TestApp, token: string) {
    const get = (path: string) => app.request(path, { headers: bearer(token) });
    const post = (path: string, body: unknown) => app.request(path, jsonPost(body, bearer(token)));
    return {
      'create a key': () => post('/v1/api-keys', { name: 'k', scopes: ['profiles:read'] }),
      'list keys': () => get('/v1/api-keys'),
      'reveal PII': () => get('/v1/profiles/me?reveal=true'),
      'export PII': () => get('/v1/profiles/me/export'),
      'store sensitive PII': () =>
        app.request('/v1/profiles/me', { ...jsonPost({ ssn: SSN }, bearer(token)), method: 'PUT' }),
      encrypt: () => post('/v1/crypto/encrypt', { context: 'gate', plaintext: 'aGVsbG8=' }),
      hmac: () => post('/v1/crypto/hmac', { context: 'gate', data: 'aGVsbG8=' }),
      'list certificates': () => get('/v1/certificates'),
      'add a certificate': () => post('/v1/certificates', { path: '/etc/ssl/certs/none.pem' }),
      'change the password': () => post('/v1/auth/password', { currentPassword: 'x', newPassword: 'y' }),
    };
  }

  it('an unverified account holding every scope it needs is refused 403 EMAIL_NOT_VERIFIED on all else, nothing done', async () => {
    const { token, userId } = await unverifiedUser();
    await grant(userId, ['crypto:encrypt', 'crypto:hmac', 'certificates:read', 'certificates:write']);
    for (const [, request] of Object.entries(refusedRequests(t, token))) await expectUnverified(await request());
    expect(await keyCount(userId)).toBe(0);
    const [profile] = await adminQuery<{ n: string }>(db, 'SELECT count(*) AS n FROM profiles WHERE user_id = $1', [
      userId,
    ]);
    expect(Number(profile.n)).toBe(0); // the sensitive write stored nothing (not even the public part)
  });

  it('an unverified account can read /v1/me, its masked profile, set public fields, list and end sessions, resend', async () => {
    const { token, user } = await unverifiedUser();
    const me = await t.request('/v1/me', { headers: bearer(token) });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ emailVerified: false });
    const put = await t.request('/v1/profiles/me', {
      ...jsonPost({ displayName: 'Not Yet Verified', phone: '+15550100' }, bearer(token)),
      method: 'PUT',
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ displayName: 'Not Yet Verified', ssn: null });
    const profile = await t.request('/v1/profiles/me', { headers: bearer(token) });
    expect(profile.status).toBe(200);
    expect(await profile.json()).toMatchObject({ displayName: 'Not Yet Verified' });
    expect((await t.request('/v1/auth/sessions', { headers: bearer(token) })).status).toBe(200);
    expect((await t.request('/v1/scopes', { headers: bearer(token) })).status).toBe(200);
    const resend = await t.request('/v1/auth/email/resend', { method: 'POST', headers: bearer(token) });
    expect(resend.status).toBe(202);
    expect((await outbox(t, user.email)).filter((m) => m.kind === 'auth.verify_email')).toHaveLength(2);
    expect((await t.request('/v1/auth/logout', { method: 'POST', headers: bearer(token) })).status).toBe(204);
  });

  it('after verifying (the token from the mail), the same session — no new login — creates a key and reveals', async () => {
    const { token, userId, user } = await unverifiedUser();
    await expectUnverified(
      await t.request('/v1/api-keys', jsonPost({ name: 'k', scopes: ['profiles:read'] }, bearer(token))),
    );
    const [mail] = (await outbox(t, user.email)).filter((m) => m.kind === 'auth.verify_email');
    expect((await t.request('/v1/auth/email/verify', jsonPost({ token: tokenIn(mail.body) }))).status).toBe(200);
    const key = await createKey(t, token, { scopes: ['profiles:read'] });
    expect(key.key).toMatch(/^sk_/);
    expect(await keyCount(userId)).toBe(1);
    expect((await t.request('/v1/profiles/me?reveal=true', { headers: bearer(token) })).status).toBe(200);
    expect((await t.request('/v1/me', withKey(key.key))).status).toBe(200);
  });

  it('an unverified admin is refused too: admin:all holds every scope, not a verified address', async () => {
    const { token, userId } = await unverifiedUser();
    await grant(userId, ['admin:all']);
    const other = await userWithScopes(t);
    await expectUnverified(await t.request(`/v1/profiles/${other.userId}`, { headers: bearer(token) }));
    await expectUnverified(await t.request('/v1/admin/keyring', { headers: bearer(token) }));
    await expectUnverified(
      await t.request(`/v1/admin/users/${other.userId}/scopes`, {
        ...jsonPost({ add: ['crypto:hmac'] }, bearer(token)),
        method: 'PATCH',
      }),
    );
    await expectUnverified(
      await t.request('/v1/api-keys', jsonPost({ name: 'k', scopes: ['admin:all'] }, bearer(token))),
    );
    expect(await keyCount(userId)).toBe(0);
  });

  it('a key minted while the control was off is refused while its owner is unverified, on every route, until verified (then at once, across instances)', async () => {
    // Minted on the instance with REQUIRE_VERIFIED_EMAIL=false, by an account that never verified.
    const { token, userId, user } = await unverifiedUser(off);
    await grant(userId, ['crypto:hmac']);
    const minted = await createKey(off, token, { scopes: ['profiles:read', 'crypto:hmac'] });
    // On the instance that requires a verified address the key is refused, even on the routes a session may use.
    const useKey = (path: string) => t.request(path, withKey(minted.key));
    await expectUnverified(await useKey('/v1/me'));
    await expectUnverified(await useKey('/v1/profiles/me'));
    await expectUnverified(
      await t.request('/v1/crypto/hmac', jsonPost({ context: 'gate', data: 'aGVsbG8=' }, bearer(minted.key))),
    );
    // And by X-API-Key, and a second time (now from the cache).
    await expectUnverified(await t.request('/v1/me', { headers: { 'x-api-key': minted.key } }));
    await expectUnverified(await useKey('/v1/me'));
    // The session minted there is refused here too, and cannot rotate the key.
    await expectUnverified(await t.request(`/v1/api-keys/${minted.id}/rotate`, jsonPost({}, bearer(token))));
    // Another service asking POST /v1/keys/verify is told the same: not valid here, valid where the setting is off.
    const verifier = await userWithScopes(t, ['keys:verify']);
    const verifierKey = await createKey(t, verifier.token, { scopes: ['keys:verify'] });
    const verdict = async (app: TestApp) =>
      (await (await app.request('/v1/keys/verify', jsonPost({ key: minted.key }, bearer(verifierKey.key)))).json()) as {
        valid: boolean;
        code: string;
      };
    expect(await verdict(t)).toMatchObject({ valid: false, code: 'EMAIL_NOT_VERIFIED' });
    expect(await verdict(off)).toMatchObject({ valid: true, code: 'VALID' });
    // Verified through the other instance: the key cached here as unverified is dropped at once (user change topic).
    await verifyEmail(off, user.email);
    await waitFor(async () => ((await useKey('/v1/me')).status === 200 ? true : undefined), 3_000);
    expect((await useKey('/v1/profiles/me')).status).toBe(200);
    expect(await verdict(t)).toMatchObject({ valid: true, code: 'VALID' });
  });

  it('with REQUIRE_VERIFIED_EMAIL=false the gate is off: the same requests from an unverified account go through', async () => {
    const { token, userId } = await unverifiedUser(off);
    await grant(userId, ['crypto:hmac', 'certificates:read']);
    const key = await createKey(off, token, { scopes: ['profiles:read', 'crypto:hmac'] });
    expect((await off.request('/v1/me', withKey(key.key))).status).toBe(200);
    expect((await off.request('/v1/profiles/me?reveal=true', { headers: bearer(token) })).status).toBe(200);
    expect((await off.request('/v1/profiles/me/export', { headers: bearer(token) })).status).toBe(200);
    expect(
      (await off.request('/v1/crypto/hmac', jsonPost({ context: 'gate', data: 'aGVsbG8=' }, bearer(token)))).status,
    ).toBe(200);
    expect((await off.request('/v1/certificates', { headers: bearer(token) })).status).toBe(200);
    const put = await off.request('/v1/profiles/me', { ...jsonPost({ ssn: SSN }, bearer(token)), method: 'PUT' });
    expect(put.status).toBe(200);
    // The same account on the instance that requires verification is refused.
    await expectUnverified(await t.request('/v1/profiles/me/export', { headers: bearer(token) }));
  });
});
