import { gcra } from './gcra';
import { MemoryRateLimitStore } from './rate-limiter';

describe('GCRA rate limiting', () => {
  it('allows exactly `limit` requests in a burst, then refuses with a retry time', () => {
    const store = new MemoryRateLimitStore();
    const decisions = Array.from({ length: 7 }, () => store.hitSync('k', 5, 10_000, 1_000_000));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);
    expect(decisions[5].retryAfterMs).toBe(2000); // one slot frees every window/limit = 2 s
  });

  it('refills one slot per window/limit and fully after the window', () => {
    const store = new MemoryRateLimitStore();
    for (let i = 0; i < 5; i++) store.hitSync('k', 5, 10_000, 0);
    expect(store.hitSync('k', 5, 10_000, 1_999).allowed).toBe(false);
    expect(store.hitSync('k', 5, 10_000, 2_000).allowed).toBe(true);
    expect(store.hitSync('k', 5, 10_000, 2_001).allowed).toBe(false);
    expect(store.hitSync('k', 5, 10_000, 20_000).remaining).toBe(4);
  });

  it('keeps buckets apart', () => {
    const store = new MemoryRateLimitStore();
    expect(store.hitSync('a', 1, 1000, 0).allowed).toBe(true);
    expect(store.hitSync('a', 1, 1000, 0).allowed).toBe(false);
    expect(store.hitSync('b', 1, 1000, 0).allowed).toBe(true);
  });

  it('keeps memory flat: a million hits over 100k distinct keys stay within the bound, idle buckets are swept', () => {
    const store = new MemoryRateLimitStore(10_000);
    for (let i = 0; i < 1_000_000; i++) store.hitSync(`key-${i % 100_000}`, 100, 1000, i);
    expect(store.size).toBeLessThanOrEqual(10_000);
    store.hitSync('late', 100, 1000, 10_000_000); // the periodic sweep drops everything full again
    for (let i = 0; i < 4096; i++) store.hitSync('late', 100_000, 1000, 10_000_000);
    expect(store.size).toBeLessThan(10);
  });

  it('reports the reset time as the wait until the full limit is back', () => {
    const { decision } = gcra(undefined, 0, 10, 60_000);
    expect(decision).toEqual({ allowed: true, limit: 10, remaining: 9, resetMs: 6000, retryAfterMs: 0 });
  });
});
