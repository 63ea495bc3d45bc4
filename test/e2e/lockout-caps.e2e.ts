import { startTestApp, TestApp } from '../support/app';
import { jsonPost, registerAndLogin } from '../support/auth-helpers';
import { adminQuery } from '../support/database';

/**
 * The per-user caps on remembered devices (20) and networks (10), as a client signing in again and again sees them
 * on real PostgreSQL: each sign-in without a device token adds a device, each new /24 a network; the oldest go.
 */
describe('remembered devices and networks stay capped (real PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  const login = async (user: { email: string; password: string }, ip: string, deviceToken?: string) => {
    const body = { email: user.email, password: user.password, ...(deviceToken ? { deviceToken } : {}) };
    const res = await t.request('/v1/auth/login', jsonPost(body, { 'x-forwarded-for': ip }));
    expect(res.status).toBe(200);
    return (await res.json()) as { deviceToken: string };
  };

  it('keeps the newest 20 devices, the one just issued always among them', async () => {
    const { userId, user } = await registerAndLogin(t);
    const issued: string[] = [];
    for (let i = 0; i < 23; i++) issued.push((await login(user, `192.0.2.${10 + i}`)).deviceToken);
    const rows = await adminQuery<{ n: string }>(t.db, 'SELECT count(*) AS n FROM device_tokens WHERE user_id = $1', [
      userId,
    ]);
    expect(Number(rows[0].n)).toBe(20);
    // The newest device is remembered: a sign-in with it is from a trusted device (its token is renewed, not new).
    const again = await login(user, '203.0.113.77', issued[22]);
    expect(again.deviceToken).toBe(issued[22]);
    // The oldest was dropped: its token is a stranger's now, and the sign-in gets a new one.
    const old = await login(user, '203.0.113.78', issued[0]);
    expect(old.deviceToken).not.toBe(issued[0]);
  });

  it('keeps the 10 most recent networks; a known network signing in again is refreshed, not added', async () => {
    const { userId, user } = await registerAndLogin(t);
    for (let i = 0; i < 12; i++) await login(user, `198.18.${i}.5`);
    await login(user, '198.18.3.9'); // a known /24 again
    const rows = await adminQuery<{ network: string }>(
      t.db,
      'SELECT network FROM known_sources WHERE user_id = $1 ORDER BY last_success_at DESC',
      [userId],
    );
    expect(rows.length).toBe(10);
    expect(rows[0].network).toContain('198.18.3.0');
    const networks = rows.map((r) => r.network).join(' ');
    expect(networks).not.toContain('198.18.0.0');
    expect(networks).not.toContain('198.18.1.0');
  });
});
