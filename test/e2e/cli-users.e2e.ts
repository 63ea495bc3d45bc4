import { adminQuery } from '../support/database';
import { startTestApp, TestApp } from '../support/app';
import { bearer, jsonPost, outbox, registerAndLogin, STRONG_PASSWORD, uniqueUser } from '../support/auth-helpers';
import { createKey } from '../support/key-helpers';
import { assertBuilt, cleanEnv, CLI_MAIN, spawnNode } from '../support/process';

/** The user administration commands (issue 21): the same operations as /v1/admin/users, audited as the system. */
describe('cli users:* administration', () => {
  let t: TestApp;
  const env = () =>
    cleanEnv({ DATABASE_URL: t.db.appUrl, MIGRATIONS_DATABASE_URL: t.db.ownerUrl, DATA_DIR: t.dataDir });
  const cli = async (args: string[]) => {
    const proc = spawnNode(CLI_MAIN, args, env());
    return { code: await proc.closed, output: proc.output(), json: () => proc.json() };
  };
  const systemActions = async (userId: string) =>
    (
      await adminQuery<{ action: string }>(
        t.db,
        `SELECT action FROM audit_events WHERE target_id = $1 AND actor_type = 'system' ORDER BY id`,
        [userId],
      )
    ).map((r) => r.action);

  beforeAll(async () => {
    assertBuilt();
    t = await startTestApp({ env: { IP_FAILURE_THRESHOLD: '1000' } });
  });
  afterAll(() => t?.stop());

  it('users:list searches and prints a table or JSON; users:show prints what the user holds', async () => {
    const tag = `cli${Date.now().toString(36)}`;
    const bob = await registerAndLogin(t, uniqueUser(tag));
    await createKey(t, bob.token);
    const list = await cli(['users:list', '--q', tag, '--json']);
    expect(list.code).toBe(0);
    expect(await list.json()).toMatchObject({ items: [{ id: bob.userId, email: bob.user.email }], nextCursor: null });
    const text = await cli(['users:list', '--q', tag]);
    expect(text.output).toMatch(/^id\s+email\s+username\s+role\s+verified\s+status\s+mfa\n/);
    expect(text.output).toContain(bob.user.email);
    const bad = await cli(['users:list', '--verified', 'perhaps']);
    expect(bad.code).toBe(1);
    expect(bad.output).toBe('error: verified must be a boolean value\n');

    const show = await cli(['users:show', '--email', bob.user.email, '--json']);
    expect(show.code).toBe(0);
    expect(await show.json()).toMatchObject({ id: bob.userId, counts: { sessions: 1, apiKeys: 1 }, locked: false });
    const missing = await cli(['users:show', '--email', 'nobody@example.com']);
    expect(missing.code).toBe(1);
    expect(missing.output).toBe('error: No user with email nobody@example.com\n');
  });

  it('users:unlock, users:disable/enable, users:force-password-reset, users:end-everything and users:change-email act and are audited', async () => {
    const bob = await registerAndLogin(t);
    const key = await createKey(t, bob.token);
    const login = (ip: string, password = STRONG_PASSWORD) =>
      t.request('/v1/auth/login', jsonPost({ email: bob.user.email, password }, { 'x-forwarded-for': ip }));
    for (let i = 0; i < 5; i++) await login('192.0.2.77', 'wrong password here');
    expect((await login('192.0.2.77')).status).toBe(401);
    const unlock = await cli(['users:unlock', '--email', bob.user.email]);
    expect(unlock.output).toMatch(/^unlocked .*; [1-9]\d* lockout counter\(s\) cleared\n$/);
    expect((await login('192.0.2.77')).status).toBe(200);

    expect((await cli(['users:disable', '--email', bob.user.email])).code).toBe(0);
    expect((await cli(['users:enable', '--email', bob.user.email, '--json'])).code).toBe(0);
    expect((await t.request('/v1/me', { headers: bearer(key.key) })).status).toBe(200);

    const reset = await cli(['users:force-password-reset', '--email', bob.user.email, '--json']);
    expect(await reset.json()).toMatchObject({ id: bob.userId, mailQueued: true });
    const end = await cli(['users:end-everything', '--email', bob.user.email, '--json']);
    expect(await end.json()).toMatchObject({ id: bob.userId, apiKeysRevoked: 1 });
    expect((await t.request('/v1/me', { headers: bearer(key.key) })).status).toBe(401);

    const badEmail = await cli(['users:change-email', '--email', bob.user.email, '--new-email', 'nope']);
    expect(badEmail.code).toBe(1);
    const change = await cli(['users:change-email', '--email', bob.user.email, '--new-email', `n.${bob.user.email}`]);
    expect(change.output).toBe(`${bob.user.email}: a confirmation link went to n.${bob.user.email}\n`);
    expect((await outbox(t, `n.${bob.user.email}`)).map((m) => m.kind)).toEqual(['auth.email_change_confirm']);

    expect(await systemActions(bob.userId)).toEqual(
      expect.arrayContaining([
        'admin.user_unlock',
        'admin.user_disable',
        'admin.user_enable',
        'admin.user_force_password_reset',
        'admin.user_end_everything',
        'admin.user_email_change',
      ]),
    );
  });
});
