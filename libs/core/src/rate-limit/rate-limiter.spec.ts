import { Logger } from '@nestjs/common';
import { loadConfig } from '../config/load-config';
import { ManualClock } from '../../../../test/fakes/core';
import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('without Redis: `limit` per window in seconds, on the injected clock, one slot back every window/limit', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(loadConfig({}), clock);
    expect(limiter.backend).toBe('memory');
    const burst = [];
    for (let i = 0; i < 4; i++) burst.push(await limiter.hit('key-a', 3, 30));
    expect(burst.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(burst[3]).toMatchObject({ limit: 3, remaining: 0, retryAfterMs: 10_000 });
    expect((await limiter.hit('key-b', 3, 30)).allowed).toBe(true); // buckets are per key
    clock.advance(9_999);
    expect((await limiter.hit('key-a', 3, 30)).allowed).toBe(false);
    clock.advance(1);
    expect(await limiter.hit('key-a', 3, 30)).toMatchObject({ allowed: true, remaining: 0 });
    clock.advance(30_000);
    expect(await limiter.hit('key-a', 3, 30)).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('when Redis cannot be reached, limits still hold per instance (neither open nor closed) and the fallback is counted', async () => {
    const clock = new ManualClock();
    // Port 1 on loopback: refused at once, no network involved.
    const limiter = new RateLimiter(loadConfig({ REDIS_URL: 'redis://127.0.0.1:1' }), clock);
    try {
      expect(limiter.backend).toBe('redis');
      const decisions = [];
      for (let i = 0; i < 3; i++) decisions.push(await limiter.hit('key-a', 2, 60));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
      expect(limiter.fallbacks).toBe(3);
    } finally {
      await limiter.onApplicationShutdown();
    }
  });
});
