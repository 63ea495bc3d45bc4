import { adminQuery } from '../support/database';
import { startTestApp, TestApp } from '../support/app';
import {
  bearer,
  freshIp,
  jsonPost,
  outbox,
  registerAndLogin,
  STRONG_PASSWORD,
  tokenIn,
  uniqueUser,
} from '../support/auth-helpers';
import { createKey, problem, userWithScopes, withKey } from '../support/key-helpers';
import { TestClock } from '../support/test-clock';

interface UserItem {
  id: string;
  email: string;
  username: string;
  role: string;
  emailVerified: boolean;
  disabledAt: string | null;
  mfa: boolean;
}
interface UserPage {
  items: UserItem[];
  nextCursor: string | null;
}

/**
 * User administration (issue 21): admin:all lists, searches and inspects users, and enables, unlocks, forces a password
 * reset, ends everything and changes the address of one — each audited, mailed to the user, behind a step-up; a
 * person changes their own address only through a link sent to the new one.
 */
describe('admin users (real PostgreSQL)', () => {
  const clock = new TestClock();
  let t: TestApp;
  let admin: { token: string; userId: string };

  beforeAll(async () => {
    t = await startTestApp({ clock, env: { IP_FAILURE_THRESHOLD: '1000', IP_LIMIT_REAUTHENTICATE: '1000' } });
    admin = await userWithScopes(t, ['admin:all']);
  });
  afterAll(() => t?.stop());

  const get = (path: string, token = admin.token) => t.request(path, { headers: bearer(token) });
  const post = (path: string, token = admin.token, body: unknown = {}) =>
    t.request(path, jsonPost(body, bearer(token)));
  const patch = (path: string, body: unknown, token = admin.token) =>
    t.request(path, { ...jsonPost(body, bearer(token)), method: 'PATCH' });
  const login = (email: string, password = STRONG_PASSWORD, ip = freshIp()) =>
    t.request('/v1/auth/login', jsonPost({ email, password }, { 'x-forwarded-for': ip }));
  const auditActions = async (targetId: string) =>
    (
      await adminQuery<{ action: string; actor_id: string | null }>(
        t.db,
        'SELECT action, actor_id FROM audit_events WHERE target_id = $1 ORDER BY id',
        [targetId],
      )
    ).map((r) => `${r.action}:${r.actor_id === admin.userId ? 'admin' : r.actor_id ? 'user' : 'system'}`);
  const kinds = async (email: string) => (await outbox(t, email)).map((m) => m.kind);
  /** Re-opens the admin's step-up window (the clock moves in some tests). */
  const stepUp = () => post('/v1/auth/reauthenticate', admin.token, { password: STRONG_PASSWORD });

  it('a user without admin:all can neither list nor read nor change users', async () => {
    const bob = await registerAndLogin(t);
    for (const res of [
      await get('/v1/admin/users', bob.token),
      await get(`/v1/admin/users/${admin.userId}`, bob.token),
      await post(`/v1/admin/users/${admin.userId}/unlock`, bob.token),
      await post(`/v1/admin/users/${admin.userId}/end-everything`, bob.token),
      await patch(`/v1/admin/users/${admin.userId}/email`, { email: 'x@example.com' }, bob.token),
    ])
      expect(res.status).toBe(403);
    expect(await auditActions(admin.userId)).not.toContain('admin.user_end_everything:user');
  });

  it('searches by email or username prefix, filters, pages by keyset, and refuses a forged or foreign cursor', async () => {
    const tag = `srch${Date.now().toString(36)}`;
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const u = uniqueUser(`${tag}${i}`);
      made.push((await registerAndLogin(t, u, { verified: i !== 4 })).userId);
    }
    const all: UserItem[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/v1/admin/users?q=${tag}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as UserPage;
      all.push(...page.items);
      cursor = page.nextCursor;
      pages++;
      // A user registered while the admin pages lands before the position: nothing repeats, nothing is skipped.
      if (pages === 1) made.push((await registerAndLogin(t, uniqueUser(`${tag}x`))).userId);
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(all.map((u) => u.id)).size).toBe(all.length);
    expect(all.map((u) => u.id)).toEqual(expect.arrayContaining(made.slice(0, 5)));
    expect(all.every((u) => u.email.startsWith(tag) || u.username.startsWith(tag))).toBe(true);
    expect(all[0]).toMatchObject({ role: 'user', disabledAt: null, mfa: false });

    const unverified = (await (await get(`/v1/admin/users?q=${tag}&verified=false`)).json()) as UserPage;
    expect(unverified.items.map((u) => u.id)).toEqual([made[4]]);
    const byUsername = (await (await get(`/v1/admin/users?q=${tag}_&sort=email`)).json()) as UserPage;
    expect(byUsername.items).toHaveLength(0); // usernames are `<tag><i>_<hex>`: the prefix must match from the start
    const admins = (await (await get('/v1/admin/users?role=admin')).json()) as UserPage;
    expect(admins.items.every((u) => u.role === 'admin')).toBe(true);
    // A LIKE wildcard matches only itself.
    expect(((await (await get('/v1/admin/users?q=%25')).json()) as UserPage).items).toHaveLength(0);

    const first = (await (await get(`/v1/admin/users?q=${tag}&limit=1`)).json()) as UserPage;
    const [body, mac] = [first.nextCursor!.split('.')[0], first.nextCursor!.split('.').slice(1).join('.')];
    const forged = `${Buffer.from(JSON.stringify([null, made[0]])).toString('base64url')}.${mac}`;
    for (const bad of [forged, `${body}.v1.${'A'.repeat(43)}`, 'garbage'])
      expect(await problem(await get(`/v1/admin/users?q=${tag}&limit=1&cursor=${bad}`))).toMatchObject({
        status: 400,
        code: 'INVALID_CURSOR',
      });
    // The same cursor under another filter is another listing's.
    expect(
      await problem(await get(`/v1/admin/users?q=${tag}&verified=true&limit=1&cursor=${first.nextCursor}`)),
    ).toMatchObject({ status: 400, code: 'INVALID_CURSOR' });
    expect((await get('/v1/admin/users?mfa=maybe')).status).toBe(400);
  });

  it('shows one user with what it holds and its last sign-in; another id is 404', async () => {
    const bob = await registerAndLogin(t);
    await login(bob.user.email);
    await createKey(t, bob.token, { name: 'ci key' });
    const res = await get(`/v1/admin/users/${bob.userId}`);
    expect(res.status).toBe(200);
    const view = (await res.json()) as Record<string, unknown>;
    expect(view).toMatchObject({
      id: bob.userId,
      email: bob.user.email,
      counts: { sessions: 2, apiKeys: 1, factors: 0, certificates: 0, devices: 2 },
      lastSignInAt: expect.any(String),
      locked: false,
      pendingEmail: null,
      mfa: false,
    });
    expect(await problem(await get('/v1/admin/users/00000000-0000-4000-8000-000000000000'))).toMatchObject({
      status: 404,
      code: 'USER_NOT_FOUND',
    });
  });

  it('unlock lets a locked-out user sign in at once from the locked network; audited and mailed', async () => {
    const bob = await registerAndLogin(t);
    const ip = '192.0.2.10';
    for (let i = 0; i < 5; i++) expect((await login(bob.user.email, 'not the password at all', ip)).status).toBe(401);
    // Locked: the right password from that network answers like a wrong one.
    expect((await login(bob.user.email, STRONG_PASSWORD, ip)).status).toBe(401);
    expect(((await (await get(`/v1/admin/users/${bob.userId}`)).json()) as { locked: boolean }).locked).toBe(true);

    const res = await post(`/v1/admin/users/${bob.userId}/unlock`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { countersCleared: number }).countersCleared).toBeGreaterThan(0);
    expect((await login(bob.user.email, STRONG_PASSWORD, ip)).status).toBe(200);
    expect(await auditActions(bob.userId)).toContain('admin.user_unlock:admin');
    expect(await kinds(bob.user.email)).toContain('auth.account_unlocked');
  });

  it('disable then enable: the user signs in again and its API key works again; both audited', async () => {
    const bob = await registerAndLogin(t);
    const key = await createKey(t, bob.token);
    expect((await post(`/v1/admin/users/${bob.userId}/disable`)).status).toBe(200);
    expect((await get('/v1/me', key.key)).status).toBe(401);
    expect((await login(bob.user.email)).status).not.toBe(200);

    expect(await (await post(`/v1/admin/users/${bob.userId}/enable`)).json()).toEqual({ enabled: true });
    expect((await login(bob.user.email)).status).toBe(200);
    expect((await t.request('/v1/me', withKey(key.key))).status).toBe(200);
    expect(await auditActions(bob.userId)).toEqual(
      expect.arrayContaining(['admin.user_disable:admin', 'admin.user_enable:admin']),
    );
    expect(await kinds(bob.user.email)).toEqual(
      expect.arrayContaining(['auth.account_disabled', 'auth.account_enabled']),
    );
  });

  it('force-password-reset ends every session and mails a reset link that sets a new password', async () => {
    const bob = await registerAndLogin(t);
    const res = await post(`/v1/admin/users/${bob.userId}/force-password-reset`);
    expect(await res.json()).toEqual({ sessionsEnded: 1, mailQueued: true });
    expect((await get('/v1/me', bob.token)).status).toBe(401);
    const mail = (await outbox(t, bob.user.email)).filter((m) => m.kind === 'auth.reset_password').pop()!;
    expect(mail.body).toContain('An administrator asked you to set a new password');
    const newPassword = 'quartz meadow lantern tide';
    const reset = await t.request(
      '/v1/auth/password/reset',
      jsonPost({ token: tokenIn(mail.body), newPassword }, { 'x-forwarded-for': freshIp() }),
    );
    expect(reset.status).toBe(200);
    expect((await login(bob.user.email)).status).toBe(401);
    expect((await login(bob.user.email, newPassword)).status).toBe(200);
    expect(await auditActions(bob.userId)).toContain('admin.user_force_password_reset:admin');
  });

  it('end-everything ends sessions, revokes API keys and device tokens; the user is told', async () => {
    const bob = await registerAndLogin(t);
    const key = await createKey(t, bob.token);
    const res = await post(`/v1/admin/users/${bob.userId}/end-everything`);
    expect(await res.json()).toEqual({ sessionsEnded: 1, apiKeysRevoked: 1, devicesRevoked: 1 });
    expect((await get('/v1/me', bob.token)).status).toBe(401);
    expect((await t.request('/v1/me', withKey(key.key))).status).toBe(401);
    const devices = await adminQuery<{ n: string }>(
      t.db,
      'SELECT count(*) AS n FROM device_tokens WHERE user_id = $1 AND revoked_at IS NULL',
      [bob.userId],
    );
    expect(Number(devices[0].n)).toBe(0);
    expect(await auditActions(bob.userId)).toContain('admin.user_end_everything:admin');
    expect(await kinds(bob.user.email)).toContain('auth.everything_ended');
  });

  it('admin writes need a recent authentication; reads do not', async () => {
    const bob = await registerAndLogin(t);
    clock.advanceMinutes(16);
    for (const res of [
      await post(`/v1/admin/users/${bob.userId}/unlock`),
      await post(`/v1/admin/users/${bob.userId}/enable`),
      await post(`/v1/admin/users/${bob.userId}/force-password-reset`),
      await post(`/v1/admin/users/${bob.userId}/end-everything`),
      await patch(`/v1/admin/users/${bob.userId}/email`, { email: `new.${bob.user.email}` }),
    ])
      expect(await problem(res)).toMatchObject({ status: 403, code: 'RECENT_LOGIN_REQUIRED' });
    expect((await get(`/v1/admin/users/${bob.userId}`)).status).toBe(200);
    expect(await auditActions(bob.userId)).not.toContain('admin.user_end_everything:admin');
    expect((await stepUp()).status).toBe(200);
    expect((await post(`/v1/admin/users/${bob.userId}/unlock`)).status).toBe(200);
  });

  it('PATCH /v1/me/email: the new address confirms by link, the old is told, then sign-in uses the new one', async () => {
    const bob = await registerAndLogin(t);
    const newEmail = `moved.${bob.user.email}`;
    const res = await patch('/v1/me/email', { email: ` ${newEmail.toUpperCase()} ` }, bob.token);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'pending_verification', pendingEmail: newEmail });
    expect(await kinds(bob.user.email)).toContain('auth.email_change_requested');
    // Nothing changes before the new address confirms.
    expect((await login(bob.user.email)).status).toBe(200);
    expect(((await (await get(`/v1/admin/users/${bob.userId}`)).json()) as { pendingEmail: string }).pendingEmail).toBe(
      newEmail,
    );

    const link = (await outbox(t, newEmail)).find((m) => m.kind === 'auth.email_change_confirm')!;
    const confirm = () =>
      t.request('/v1/auth/email/verify', jsonPost({ token: tokenIn(link.body) }, { 'x-forwarded-for': freshIp() }));
    expect((await confirm()).status).toBe(200);
    expect((await confirm()).status).toBe(400); // once
    expect((await login(bob.user.email)).status).toBe(401);
    expect((await login(newEmail)).status).toBe(200);
    expect(await kinds(bob.user.email)).toContain('auth.email_changed');
    expect(await auditActions(bob.userId)).toEqual(
      expect.arrayContaining(['auth.email_change_request:user', 'auth.email_change:user']),
    );
    expect(
      await problem(await patch('/v1/me/email', { email: newEmail }, (await registerAndLogin(t)).token)),
    ).toMatchObject({ status: 202 });
  });

  it('an address that already has an account: the same answer, no link, its owner told; an API key cannot change it', async () => {
    const bob = await registerAndLogin(t);
    const carol = await registerAndLogin(t);
    const res = await patch('/v1/me/email', { email: carol.user.email }, bob.token);
    expect(res.status).toBe(202);
    expect(await kinds(carol.user.email)).toContain('auth.email_in_use');
    expect(await kinds(carol.user.email)).not.toContain('auth.email_change_confirm');
    const key = await createKey(t, bob.token, { scopes: ['profiles:write'] });
    const byKey = await t.request('/v1/me/email', {
      ...jsonPost({ email: `k.${bob.user.email}` }, { authorization: `Bearer ${key.key}` }),
      method: 'PATCH',
    });
    expect(await problem(byKey)).toMatchObject({ status: 403, code: 'SESSION_REQUIRED' });
    expect(await problem(await patch('/v1/me/email', { email: bob.user.email }, bob.token))).toMatchObject({
      status: 400,
      code: 'EMAIL_UNCHANGED',
    });
    expect((await patch('/v1/me/email', { email: 'not an address' }, bob.token)).status).toBe(400);
  });

  it('an admin changes a user’s address; it takes effect when the new address confirms it', async () => {
    const bob = await registerAndLogin(t);
    const newEmail = `admin-moved.${bob.user.email}`;
    expect((await patch(`/v1/admin/users/${bob.userId}/email`, { email: newEmail })).status).toBe(202);
    const link = (await outbox(t, newEmail)).find((m) => m.kind === 'auth.email_change_confirm')!;
    expect(link.body).toContain('An administrator asked');
    const ok = await t.request(
      '/v1/auth/email/verify',
      jsonPost({ token: tokenIn(link.body) }, { 'x-forwarded-for': freshIp() }),
    );
    expect(ok.status).toBe(200);
    expect(((await (await get(`/v1/admin/users/${bob.userId}`)).json()) as { email: string }).email).toBe(newEmail);
    expect(await auditActions(bob.userId)).toContain('admin.user_email_change:admin');
  });
});
