import type { ThrottlerStorage } from '@nestjs/throttler';
import type { RateLimitDecision } from './gcra';
import { RateLimiter } from './rate-limiter';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * `@nestjs/throttler`'s storage on the project's GCRA limiter (`RateLimiter`): one number per bucket, in process or
 * in Redis (the Lua script) when `REDIS_URL` is set, shared by every instance; no timer per hit and a bounded map,
 * unlike the package's in-memory storage (nestjs/throttler#2629, #2665). `ttl` is the window in milliseconds, as the
 * package passes it. `blockDuration` is not used: GCRA lets a request through as soon as one slot is back
 * (window/limit), which bounds the rate the same way without a fixed penalty box.
 */
export class GcraThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly limiter: RateLimiter) {}

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    return recordOf(await this.hitNow(key, ttl, limit), limit);
  }

  /**
   * One hit, answered as the limiter decides it (what `increment` reports in the package's terms): synchronous when
   * the buckets are in process (see `RateLimiter.hitNow`). The per-key guard reads this, not the package's record.
   */
  hitNow(key: string, ttl: number, limit: number): RateLimitDecision | Promise<RateLimitDecision> {
    return this.limiter.hitNow(key, limit, ttl / 1000);
  }
}

function recordOf(decision: RateLimitDecision, limit: number): ThrottlerStorageRecord {
  return {
    // Hits so far as the package counts them: the used part of the burst (limit - remaining), past it when refused.
    totalHits: decision.allowed ? limit - decision.remaining : limit + 1,
    timeToExpire: Math.ceil(decision.resetMs / 1000),
    isBlocked: !decision.allowed,
    timeToBlockExpire: decision.allowed ? 0 : Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
  };
}
