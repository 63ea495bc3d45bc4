import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { RedisRateLimitStoreForTests as RedisRateLimitStore } from '../support/redis-store';
import { isListening } from '../support/ports';
import { requireOrSkip } from '../support/test-env';

describe('GCRA in Redis (real Redis)', () => {
  let redis: Redis | undefined;
  let available = false;

  beforeAll(async () => {
    available = requireOrSkip(await isListening(6379), 'Redis on 127.0.0.1:6379');
    if (available) redis = new Redis('redis://127.0.0.1:6379/0', { lazyConnect: true });
    await redis?.connect();
  });
  afterAll(async () => {
    await redis?.quit();
  });

  it('allows exactly the limit in a burst and refills at window/limit', async () => {
    if (!available) return;
    const store = new RedisRateLimitStore(redis!);
    const bucket = `test-${randomBytes(4).toString('hex')}`;
    const now = 1_763_900_000_000;
    const burst = [];
    for (let i = 0; i < 6; i++) burst.push(await store.hit(bucket, 5, 10_000, now));
    expect(burst.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
    expect(burst[5].retryAfterMs).toBe(2000);
    expect((await store.hit(bucket, 5, 10_000, now + 2000)).allowed).toBe(true);
  });

  it('keeps sub-millisecond intervals exact at millisecond timestamps (high limits are enforced)', async () => {
    if (!available) return;
    const store = new RedisRateLimitStore(redis!);
    const bucket = `test-${randomBytes(4).toString('hex')}`;
    const now = 1_763_900_000_123;
    const remaining = [];
    for (let i = 0; i < 5; i++) remaining.push((await store.hit(bucket, 1_000_000, 1000, now)).remaining);
    // With Lua's tostring (14 digits) the stored time never moved and this stayed at 999999.
    expect(remaining).toEqual([999_999, 999_998, 999_997, 999_996, 999_995]);
  });
});
