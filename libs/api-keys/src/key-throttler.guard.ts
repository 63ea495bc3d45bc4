import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { GcraThrottlerStorage, type RateLimitDecision } from '@app/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { refusal, setKeyHeaders, takePendingCharge } from './api-key-credential.resolver';
import { keyBucket, KeyVerifier, Verification } from './key-verifier';

/** The throttler a key's own rate limit goes through (limit, window and tracker are the key's). */
export const KEY_THROTTLER = 'apiKey';

type StorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** Another storage's answer as the verifier and the answers speak it (its seconds, in milliseconds). */
function decisionOf(record: StorageRecord, limit: number): RateLimitDecision {
  return {
    allowed: !record.isBlocked,
    limit,
    remaining: record.isBlocked ? 0 : Math.max(0, limit - record.totalHits),
    resetMs: record.timeToExpire * 1000,
    retryAfterMs: record.isBlocked ? record.timeToBlockExpire * 1000 : 0,
  };
}

/**
 * An API key's own rate limit and quota, on `@nestjs/throttler`'s guard and the same ThrottlerStorage as the
 * per-address limits (the GCRA limiter: Redis when `REDIS_URL` is set, shared by every instance; in process
 * otherwise). Registered globally by ApiKeysModule, so it runs after core's guards: after the AccessGuard has refused
 * two credentials (AMBIGUOUS_CREDENTIALS) before any lookup, verified the key and applied the route's rule. Only a
 * request that guard admitted with a key holding a rate limit or a quota spends anything:
 * - the limit and the tracker are the key's (`limit` per `windowSeconds`, one bucket per key, the successor's for a
 *   rotated key in its grace period: `keyBucket`);
 * - then the quota (a request refused by the rate limit spends none), then the outcome is recorded;
 * - the answer is the key's: 429 `RATE_LIMITED` with `Retry-After`, `RateLimit-Limit/Remaining/Reset` on every
 *   answer of a limited key, `Sunset` during a rotation's grace period.
 * Requests without such a key pay one property read. The guard answers synchronously (no promise) whenever the
 * storage and the verifier do: in-process buckets and a key without a quota, the common case it runs for on every
 * request; with Redis or a quota it waits for them.
 */
@Injectable()
export class KeyThrottlerGuard extends ThrottlerGuard {
  private readonly throttler: ThrottlerOptions = { name: KEY_THROTTLER, limit: 0, ttl: 0 };

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly verifier: KeyVerifier,
  ) {
    super(options, storage, reflector);
  }

  override async onModuleInit(): Promise<void> {
    await super.onModuleInit();
    this.throttlers = [this.throttler];
  }

  override canActivate(context: ExecutionContext): Promise<boolean> {
    // A boolean when synchronous: Nest's guard runner takes it as it is (the package types this as a promise).
    return this.decide(context) as Promise<boolean>;
  }

  private decide(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const deferred = takePendingCharge(request);
    if (!deferred) return true;
    const reply = http.getResponse<FastifyReply>();
    const limit = deferred.key!.rateLimit;
    if (!limit) return this.settle(deferred, request, reply, undefined);
    const decision = this.hit(keyBucket(deferred.key!), limit.windowSeconds * 1000, limit.limit);
    return decision instanceof Promise
      ? decision.then((d) => this.settle(deferred, request, reply, d))
      : this.settle(deferred, request, reply, decision);
  }

  /**
   * One hit on the key's bucket in the throttler storage: the GCRA storage's own decision (synchronous with in-process
   * buckets); any other storage through the package's `increment` and its record.
   */
  private hit(bucket: string, ttl: number, limit: number): RateLimitDecision | Promise<RateLimitDecision> {
    const storage = this.storageService;
    return storage instanceof GcraThrottlerStorage
      ? storage.hitNow(bucket, ttl, limit)
      : storage.increment(bucket, ttl, limit, 0, KEY_THROTTLER).then((r) => decisionOf(r, limit));
  }

  /** Quota and record (the verifier), then the key's answer. */
  private settle(
    deferred: Verification,
    request: FastifyRequest,
    reply: FastifyReply,
    ratelimit: RateLimitDecision | undefined,
  ): boolean | Promise<boolean> {
    const v = this.verifier.charge(deferred, request.ip, ratelimit);
    return v instanceof Promise ? v.then((r) => answer(r, reply)) : answer(v, reply);
  }
}

/** The key's refusal, or its headers on the way through. */
function answer(v: Verification, reply: FastifyReply): true {
  if (v.code !== 'VALID') throw refusal(v);
  setKeyHeaders(v, reply);
  return true;
}
