import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { RateLimitDecision } from '@app/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { deferredCharges, graceHeaders, rateLimitHeaders, refusal } from './api-key-credential.resolver';
import { keyBucket, KeyVerifier, Verification } from './key-verifier';

/** The throttler a key's own rate limit goes through (limit, window and tracker are the key's). */
export const KEY_THROTTLER = 'apiKey';

const ADMITTED = Promise.resolve(true);
type StorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** The storage's answer as the verifier and the answers speak it (the GCRA storage's seconds, in milliseconds). */
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
 * - the limit and the tracker are the key's (`limit` per `windowSeconds`, one bucket per key id, `keyBucket`);
 * - then the quota (a request refused by the rate limit spends none), then the outcome is recorded;
 * - the answer is the key's: 429 `RATE_LIMITED` with `Retry-After`, `RateLimit-Limit/Remaining/Reset` on every
 *   answer of a limited key, `Sunset` during a rotation's grace period.
 * Requests without such a key pay one WeakMap lookup.
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
    if (context.getType() !== 'http') return ADMITTED;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const deferred = deferredCharges.get(request);
    if (!deferred) return ADMITTED;
    const limit = deferred.key!.rateLimit;
    if (!limit) return this.settle(deferred, context, undefined);
    return this.handleRequest({
      context,
      limit: limit.limit,
      ttl: limit.windowSeconds * 1000,
      blockDuration: 0,
      throttler: this.throttler,
      getTracker: () => deferred.key!.id,
      generateKey: (_context, tracker) => keyBucket(tracker),
    });
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, blockDuration, getTracker, generateKey } = request;
    const { req } = this.getRequestResponse(context);
    const key = generateKey(context, await getTracker(req, context), throttler.name!);
    const record = await this.storageService.increment(key, ttl, limit, blockDuration, throttler.name!);
    return this.settle(deferredCharges.get(req)!, context, decisionOf(record, limit));
  }

  /** Quota and record (the verifier), then the key's answer. */
  private async settle(
    deferred: Verification,
    context: ExecutionContext,
    ratelimit: RateLimitDecision | undefined,
  ): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    deferredCharges.delete(request);
    const v = await this.verifier.charge(deferred, request.ip, ratelimit);
    if (v.code !== 'VALID') throw refusal(v);
    if (v.ratelimit || v.graceEndsAt)
      http.getResponse<FastifyReply>().headers({ ...rateLimitHeaders(v), ...graceHeaders(v) });
    return true;
  }
}
