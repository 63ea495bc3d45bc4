import { randomBytes } from 'node:crypto';
import { startTestApp, TestApp } from '../support/app';
import { bearer, freshIp, jsonPost, outbox, registerAndLogin, uniqueUser } from '../support/auth-helpers';
import { createTestDatabase, TestDatabase } from '../support/database';
import { problem } from '../support/key-helpers';
import { isListening } from '../support/ports';
import { TestClock } from '../support/test-clock';
import { requireOrSkip } from '../support/test-env';

const from = (ip: string) => ({ 'x-forwarded-for': ip });
/** An address no other run has used (Redis buckets outlive a test run by their window). */
const uniqueIpv6 = () => `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::1`;

/** `n` requests in a row; the statuses and the last answer. */
async function burst(
  n: number,
  send: (i: number) => Promise<Response>,
): Promise<{ statuses: number[]; last: Response }> {
  const statuses: number[] = [];
  let last!: Response;
  for (let i = 0; i < n; i++) {
    last = await send(i);
    statuses.push(last.status);
    if (i < n - 1) await last.body?.cancel();
  }
  return { statuses, last };
}

/** A 429 from the per-address limit: Retry-After at most one GCRA slot (window/limit), the RateLimit-* headers. */
async function expectTooManyRequests(res: Response, limit: number, windowSeconds = 60): Promise<void> {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(Math.ceil(windowSeconds / limit));
  expect(res.headers.get('ratelimit-limit')).toBe(String(limit));
  expect(res.headers.get('ratelimit-remaining')).toBe('0');
  expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
  expect(await problem(res)).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
}

describe('Per-address limits (@nestjs/throttler on the GCRA store, real PostgreSQL)', () => {
  const clock = new TestClock();
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Default limits (IP_LIMIT_*): nothing raised here. The test client is loopback, a trusted proxy by default.
    t = await startTestApp({ db, clock });
  });
  afterAll(async () => {
    await t?.stop();
    await db?.drop();
  });

  it('11 registrations in a minute from one address: the first 10 are accepted, the 11th is 429 with Retry-After and creates nothing', async () => {
    const ip = freshIp();
    const users = Array.from({ length: 11 }, () => uniqueUser('thr'));
    const { statuses, last } = await burst(11, (i) => t.request('/v1/auth/register', jsonPost(users[i], from(ip))));
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(202));
    await expectTooManyRequests(last, 10);
    // Refused before the handler: no account, no mail, no Argon2 hash for the 11th.
    expect(await outbox(t, users[10].email)).toHaveLength(0);
    expect(await outbox(t, users[9].email)).toHaveLength(1);
    // Still refused on the next try; another address is not limited by the first one's count.
    expect((await t.request('/v1/auth/register', jsonPost(uniqueUser(), from(ip)))).status).toBe(429);
    expect((await t.request('/v1/auth/register', jsonPost(uniqueUser(), from(freshIp())))).status).toBe(202);
    // The limit is per throttler: the same address may still ask for a reset link.
    expect((await t.request('/v1/auth/password/forgot', jsonPost({ email: users[0].email }, from(ip)))).status).toBe(
      202,
    );
  });

  it('gives a slot back every window/limit (GCRA, 6 s for 10 a minute), not all at once', async () => {
    const ip = freshIp();
    await burst(10, () => t.request('/v1/auth/register', jsonPost(uniqueUser(), from(ip))));
    expect((await t.request('/v1/auth/register', jsonPost(uniqueUser(), from(ip)))).status).toBe(429);
    clock.advance(6_000);
    const after = await t.request('/v1/auth/register', jsonPost(uniqueUser(), from(ip)));
    expect(after.status).toBe(202);
    expect(after.headers.get('ratelimit-remaining')).toBe('0');
    expect((await t.request('/v1/auth/register', jsonPost(uniqueUser(), from(ip)))).status).toBe(429);
  });

  it('login: 20 attempts a minute per address whatever their outcome, then 429 TOO_MANY_REQUESTS before any password check', async () => {
    const ip = freshIp();
    const { statuses, last } = await burst(21, () =>
      t.request('/v1/auth/login', jsonPost({ email: `nobody.${freshIp()}@example.com`, password: 'wrong' }, from(ip))),
    );
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    await expectTooManyRequests(last, 20);
  });

  it('forgot, reset, verify and suggest each answer 429 past their limit from one address', async () => {
    const cases: [string, number, () => unknown][] = [
      ['/v1/auth/password/forgot', 10, () => ({ email: uniqueUser().email })],
      ['/v1/auth/password/reset', 10, () => ({ token: 'x'.repeat(43), newPassword: 'orbit velvet cactus lantern' })],
      ['/v1/auth/email/verify', 10, () => ({ token: 'x'.repeat(43) })],
      ['/v1/auth/password/suggest', 30, () => ({})],
    ];
    for (const [path, limit, body] of cases) {
      const ip = freshIp();
      const { statuses, last } = await burst(limit + 1, () => t.request(path, jsonPost(body(), from(ip))));
      expect({ path, refused: statuses.slice(0, limit).filter((s) => s === 429).length }).toEqual({ path, refused: 0 });
      await expectTooManyRequests(last, limit);
    }
  });

  it('resend: 10 a minute per address, counted apart from the per-address mail cap (VERIFICATION_MAIL_LIMIT)', async () => {
    const ip = freshIp();
    const { token } = await registerAndLogin(t, undefined, { verified: false });
    const { statuses, last } = await burst(11, () =>
      t.request('/v1/auth/email/resend', { method: 'POST', headers: bearer(token, from(ip)) }),
    );
    expect(statuses.slice(0, 10)).toEqual([202, 202, ...Array(8).fill(429)]);
    await expectTooManyRequests(last, 10);
  });

  it('reauthenticate: 10 a minute per address, even with the right password, then 429 before any verification', async () => {
    const ip = freshIp();
    const { token, user } = await registerAndLogin(t);
    const { statuses, last } = await burst(11, () =>
      t.request('/v1/auth/reauthenticate', jsonPost({ password: user.password }, bearer(token, from(ip)))),
    );
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    await expectTooManyRequests(last, 10);
  });

  it('health and metrics are never throttled', async () => {
    const ip = freshIp();
    const { statuses } = await burst(60, (i) =>
      t.request(i % 2 ? '/health/live' : '/health/ready', { headers: from(ip) }),
    );
    expect(statuses.filter((s) => s === 429)).toHaveLength(0);
    expect(statuses.filter((s) => s === 200)).toHaveLength(60);
  });

  it('an authenticated route is not limited per address here (the per-key limits stay with the keys)', async () => {
    const ip = freshIp();
    const { token } = await registerAndLogin(t);
    const { statuses } = await burst(40, () => t.request('/v1/auth/sessions', { headers: bearer(token, from(ip)) }));
    expect(statuses).toEqual(Array(40).fill(200));
  });
});

describe('Per-address limits: the tracker is the trusted client address', () => {
  it('without a trusted proxy, rotating X-Forwarded-For does not escape the limit', async () => {
    const t = await startTestApp({ env: { TRUSTED_PROXIES: '' } });
    try {
      const { statuses, last } = await burst(11, () =>
        t.request('/v1/auth/register', jsonPost(uniqueUser(), from(freshIp()))),
      );
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(202));
      await expectTooManyRequests(last, 10);
    } finally {
      await t.stop();
    }
  });

  it('the limit is configurable (IP_LIMIT_REGISTER, IP_LIMIT_WINDOW_SECONDS)', async () => {
    const t = await startTestApp({ env: { IP_LIMIT_REGISTER: '3', IP_LIMIT_WINDOW_SECONDS: '3600' } });
    try {
      const ip = freshIp();
      const { statuses, last } = await burst(4, () => t.request('/v1/auth/register', jsonPost(uniqueUser(), from(ip))));
      expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
      expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(60); // one slot per 20 minutes
      await expectTooManyRequests(last, 3, 3600);
    } finally {
      await t.stop();
    }
  });

  it('two instances on one database share the limit through Redis', async () => {
    if (!requireOrSkip(await isListening(6379), 'Redis on 127.0.0.1:6379')) return;
    const db = await createTestDatabase();
    const env = { REDIS_URL: 'redis://127.0.0.1:6379/0' };
    const a = await startTestApp({ db, env });
    const b = await startTestApp({ db, env });
    try {
      const ip = uniqueIpv6();
      const { statuses, last } = await burst(11, (i) =>
        (i % 2 ? b : a).request('/v1/auth/register', jsonPost(uniqueUser(), from(ip))),
      );
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(202));
      await expectTooManyRequests(last, 10);
      // The same /64 counts as one client (the package's IPv6 grouping).
      expect(
        (await a.request('/v1/auth/register', jsonPost(uniqueUser(), from(ip.replace(/::1$/, '::2'))))).status,
      ).toBe(429);
    } finally {
      await a.stop();
      await b.stop();
      await db.drop();
    }
  });
});
