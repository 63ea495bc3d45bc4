import { Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/load-config';
import { SecretStore } from '../secrets/secret-store';
import { Clock } from '../system/clock';
import { gcra, GCRA_LUA, RateLimitDecision } from './gcra';

export interface RateLimitStore {
  hit(bucket: string, limit: number, windowMs: number, now: number): Promise<RateLimitDecision>;
}

/** In-process GCRA buckets in a Map; idle buckets are swept lazily (no timer per hit, issues nestjs/throttler#2629/#2665). */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly buckets = new Map<string, number>();
  private hits = 0;

  constructor(private readonly maxBuckets = 100_000) {}

  hit(bucket: string, limit: number, windowMs: number, now: number): Promise<RateLimitDecision> {
    return Promise.resolve(this.hitSync(bucket, limit, windowMs, now));
  }

  hitSync(bucket: string, limit: number, windowMs: number, now: number): RateLimitDecision {
    if (++this.hits % 4096 === 0 || this.buckets.size >= this.maxBuckets) this.sweep(now);
    const { decision, tat } = gcra(this.buckets.get(bucket), now, limit, windowMs);
    if (tat !== undefined) this.buckets.set(bucket, tat);
    return decision;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Drops buckets that are full again (their arrival time has passed): they behave exactly like absent ones. */
  private sweep(now: number): void {
    for (const [k, tat] of this.buckets) if (tat <= now) this.buckets.delete(k);
    // Still full of live buckets: drop the oldest inserted (a bounded map beats unbounded memory under a key flood).
    for (const k of this.buckets.keys()) {
      if (this.buckets.size < this.maxBuckets) break;
      this.buckets.delete(k);
    }
  }
}

export class RedisRateLimitStore implements RateLimitStore {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('sbGcra', { numberOfKeys: 1, lua: GCRA_LUA });
  }

  async hit(bucket: string, limit: number, windowMs: number, now: number): Promise<RateLimitDecision> {
    const run = (this.redis as unknown as { sbGcra(k: string, ...a: (string | number)[]): Promise<number[]> }).sbGcra;
    const [allowed, remaining, resetMs, retryAfterMs] = await run.call(
      this.redis,
      `sb:rl:${bucket}`,
      now,
      limit,
      windowMs,
    );
    return { allowed: allowed === 1, limit, remaining, resetMs, retryAfterMs };
  }
}

/**
 * Per-key rate limits. With `REDIS_URL` the buckets live in Redis, shared by every instance; if Redis fails, this
 * instance falls back to its own in-process buckets (limits become per-instance for the outage: neither failing
 * open to unlimited nor refusing every request) and logs it.
 */
@Injectable()
export class RateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger('RateLimiter');
  private readonly memory = new MemoryRateLimitStore();
  private readonly redis?: Redis;
  private readonly shared?: RedisRateLimitStore;
  private lastWarning = 0;
  /** Decisions made locally because Redis failed (for tests and metrics). */
  fallbacks = 0;

  constructor(
    config: AppConfig,
    private readonly clock: Clock,
    @Optional() secrets?: SecretStore,
  ) {
    if (config.env.REDIS_URL) {
      this.redis = new Redis(config.env.REDIS_URL, {
        // REDIS_PASSWORD(_FILE) when the URL carries none, so a container gets it as a file, not in its environment.
        ...(secrets?.get('REDIS_PASSWORD') ? { password: secrets.get('REDIS_PASSWORD') } : {}),
        lazyConnect: false,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: 250,
        connectionName: 'security-backend',
        retryStrategy: (attempt: number) => Math.min(attempt * 100, 500),
      });
      this.redis.on('error', (err: Error) => this.warn(err));
      this.shared = new RedisRateLimitStore(this.redis);
    }
  }

  get backend(): 'redis' | 'memory' {
    return this.shared ? 'redis' : 'memory';
  }

  async hit(bucket: string, limit: number, windowSeconds: number): Promise<RateLimitDecision> {
    return this.hitNow(bucket, limit, windowSeconds);
  }

  /**
   * `hit`, answered synchronously when the buckets are in process (no Redis): the per-key limit runs on every request
   * of a limited key, and a promise there costs more than the GCRA arithmetic itself.
   */
  hitNow(bucket: string, limit: number, windowSeconds: number): RateLimitDecision | Promise<RateLimitDecision> {
    const now = this.clock.nowMs();
    if (!this.shared) return this.memory.hitSync(bucket, limit, windowSeconds * 1000, now);
    return this.shared.hit(bucket, limit, windowSeconds * 1000, now).catch((err: unknown) => {
      this.fallbacks++;
      this.warn(err);
      return this.memory.hitSync(bucket, limit, windowSeconds * 1000, now);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.redis) return;
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => undefined);
    this.redis.disconnect(); // also stops reconnect attempts to a Redis that never came up
  }

  private warn(err: unknown): void {
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn({ err }, 'Redis rate-limit store unavailable: using per-instance limits until it is back');
  }
}
