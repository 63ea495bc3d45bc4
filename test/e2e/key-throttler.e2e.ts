import { GcraThrottlerStorage } from '@app/core';
import { ThrottlerStorage } from '@nestjs/throttler';
import { startTestApp, TestApp } from '../support/app';
import { bearer, jsonPost, registerAndLogin } from '../support/auth-helpers';
import { adminQuery } from '../support/database';
import { createKey, problem, userWithScopes, withKey } from '../support/key-helpers';

/**
 * A key's own rate limit is spent by `@nestjs/throttler`'s guard on its ThrottlerStorage (the GCRA limiter), after the
 * AccessGuard: two credentials are refused before anything is spent, a key the route's rule refuses spends nothing,
 * and a request refused by the rate limit spends no quota.
 */
describe('per-key rate limits on the throttler guard (real PostgreSQL)', () => {
  let t: TestApp;
  /** The buckets the ThrottlerStorage was asked about, in order. */
  const increments: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { API_KEY_JOBS_INTERVAL_MS: '0' } });
    // The GCRA storage's entry the key guard spends through (synchronous with in-process buckets, a promise with Redis).
    const storage = t.app.get<ThrottlerStorage>(ThrottlerStorage) as GcraThrottlerStorage;
    const hitNow = storage.hitNow.bind(storage);
    storage.hitNow = (key, ...rest) => {
      increments.push(key);
      return hitNow(key, ...rest);
    };
  });
  afterAll(async () => t?.stop());

  it('spends the key’s limit through the ThrottlerStorage, keyed by the key, and answers RATE_LIMITED', async () => {
    const { token } = await registerAndLogin(t);
    const key = await createKey(t, token, { rateLimit: { limit: 2, windowSeconds: 60 } });
    increments.length = 0;
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await t.request('/v1/me', withKey(key.key)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(increments).toEqual([`key:${key.id}`, `key:${key.id}`, `key:${key.id}`]);
    expect(answers.map((r) => r.headers.get('ratelimit-remaining'))).toEqual(['1', '0', '0']);
    expect(Number(answers[2].headers.get('retry-after'))).toBeGreaterThanOrEqual(29);
    expect(await problem(answers[2])).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
  });

  it('runs after the access guard: two credentials, or a rule that refuses the key, spend nothing', async () => {
    const { token } = await registerAndLogin(t);
    const key = await createKey(t, token, { scopes: ['profiles:read'], rateLimit: { limit: 1, windowSeconds: 60 } });
    increments.length = 0;
    const both = await t.request('/v1/me', { headers: { ...bearer(token), 'x-api-key': key.key } });
    expect(await problem(both)).toMatchObject({ status: 400, code: 'AMBIGUOUS_CREDENTIALS' });
    const twice = await t.request('/v1/me', { headers: { 'x-api-key': `${key.key}, ${key.key}` } });
    expect(await problem(twice)).toMatchObject({ status: 400, code: 'AMBIGUOUS_CREDENTIALS' });
    // audit:read is not the key's: refused by the rule, before the limit.
    const scoped = await t.request(`/v1/api-keys/${key.id}/usage`, withKey(key.key));
    expect(await problem(scoped)).toMatchObject({ status: 403, code: 'INSUFFICIENT_SCOPES' });
    // A session-only route: refused by the rule for the key's kind.
    const sessionOnly = await t.request('/v1/api-keys', withKey(key.key));
    expect(await problem(sessionOnly)).toMatchObject({ status: 403, code: 'SESSION_REQUIRED' });
    expect(increments).toEqual([]);
    // The one request of the window is still there.
    expect((await t.request('/v1/me', withKey(key.key))).status).toBe(200);
    expect(await problem(await t.request('/v1/me', withKey(key.key)))).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('a request refused by the rate limit spends no quota; the quota is spent after the limit', async () => {
    const { token } = await registerAndLogin(t);
    const key = await createKey(t, token, { rateLimit: { limit: 2, windowSeconds: 60 }, quota: { remaining: 5 } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await t.request('/v1/auth/introspect', withKey(key.key))).status);
    expect(statuses).toEqual([204, 204, 429, 429, 429]);
    const [row] = await adminQuery<{ quota_remaining: number }>(
      t.db,
      'SELECT quota_remaining FROM api_keys WHERE id = $1',
      [key.id],
    );
    expect(row.quota_remaining).toBe(3);
  });

  it('a key without limits never reaches the storage', async () => {
    const { token } = await registerAndLogin(t);
    const key = await createKey(t, token);
    increments.length = 0;
    expect((await t.request('/v1/me', withKey(key.key))).status).toBe(200);
    expect(increments).toEqual([]);
  });

  it('a key minted by rotation shares its predecessor’s limit: rotating never doubles the rate, here or at /keys/verify', async () => {
    const { token } = await registerAndLogin(t);
    const old = await createKey(t, token, { rateLimit: { limit: 2, windowSeconds: 60 } });
    const rotated = await t.request(`/v1/api-keys/${old.id}/rotate`, jsonPost({ gracePeriodHours: 1 }, bearer(token)));
    expect(rotated.status).toBe(201);
    const successor = (await rotated.json()) as { key: string; id: string };
    const use = async (k: string) => (await t.request('/v1/me', withKey(k))).status;
    increments.length = 0;
    // During the grace period both keys work, and together they get one key's limit, whichever is used.
    expect([await use(successor.key), await use(old.key), await use(successor.key), await use(old.key)]).toEqual([
      200, 200, 429, 429,
    ]);
    expect(increments).toEqual(Array(4).fill(`key:${successor.id}`));
    // A verifying service spends the same bucket: the old key is refused there as well.
    const verifier = await userWithScopes(t, ['keys:verify']);
    const callerKey = await createKey(t, verifier.token, { scopes: ['keys:verify'] });
    const checked = await t.request('/v1/keys/verify', jsonPost({ key: old.key }, { 'x-api-key': callerKey.key }));
    expect(await checked.json()).toMatchObject({ valid: false, code: 'RATE_LIMITED' });
  });
});
