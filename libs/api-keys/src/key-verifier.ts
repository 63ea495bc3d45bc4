import { Injectable } from '@nestjs/common';
import {
  AccessDenial,
  AccessRule,
  blockListOf,
  Clock,
  evaluateAccess,
  holdsScope,
  ipMatches,
  MetricsService,
  RateLimitDecision,
  RateLimiter,
  StepUpWindow,
} from '@app/core';
import { Counter } from 'prom-client';
import { ApiKeysRepository, KeyWithOwner } from './api-keys.repository';
import { DenialAuditor } from './denial-auditor';
import { CachedKey, KeyCache, KnownKey } from './key-cache';
import { ParsedKey, parseKey, presentedDigest } from './key-format';
import { KeyHasher } from './key-hasher';
import { UsageRecorder } from './usage/usage-recorder';

export const VERIFY_CODES = [
  'VALID',
  'NOT_FOUND',
  'EXPIRED',
  'REVOKED',
  'FORBIDDEN_IP',
  'INSUFFICIENT_SCOPES',
  'EMAIL_NOT_VERIFIED',
  'RATE_LIMITED',
  'QUOTA_EXCEEDED',
] as const;
export type VerifyCode = (typeof VERIFY_CODES)[number];

export interface Verification {
  code: VerifyCode;
  key?: KnownKey;
  /** The key's scopes that its owner still holds: what the key may do now. */
  scopes: string[];
  /** INSUFFICIENT_SCOPES, EMAIL_NOT_VERIFIED: the rule's verdict (`evaluateAccess`). */
  denial?: AccessDenial;
  ratelimit?: RateLimitDecision;
  /** Set while the key is in its rotation grace period. */
  graceEndsAt?: Date;
  quotaRemaining?: number;
  /**
   * VALID so far, with the key's rate limit and quota still to spend: `verify(…, { deferLimits: true })` leaves them
   * to the KeyThrottlerGuard, which runs after the access guard and calls `charge`. Nothing is recorded until then.
   */
  deferred: boolean;
}

/**
 * The throttler bucket of a key's own rate limit, shared by the guard and POST /v1/keys/verify: one per key, and the
 * successor's for a rotated key in its grace period (`quotaKeyId`), so the old and the new key share one limit.
 */
export function keyBucket(key: { quotaKeyId: string }): string {
  return `key:${key.quotaKeyId}`;
}

/** How a use is counted: the quota units it spends, and who reported the client address. */
export interface KeyUse {
  /** Quota units to spend (default 1); 0 checks that a unit is left without spending it. */
  cost?: number;
  /** Set when another service reported `ip` (POST /v1/keys/verify): the calling key's id, or its user's. */
  reportedBy?: string;
  /** Leave the rate limit and quota to the KeyThrottlerGuard (a request's own key; see `Verification.deferred`). */
  deferLimits?: boolean;
}

/** A key acts only with scopes its owner holds now (admin:all in the owner covers any). */
export function effectiveScopes(key: Pick<KnownKey, 'scopes' | 'ownerScopes'>): string[] {
  return key.scopes.filter((s) => holdsScope(key.ownerScopes, s));
}

/**
 * The hot path. A presented key is parsed and checksum-checked first (no lookup for malformed keys); a cache hit
 * costs a SHA-256 and a map lookup; a miss reads one row and checks the stored hash. Status, expiry, grace, allowlist,
 * scopes, rate limit and quota are checked on every request against the injected clock, so an expired key is refused
 * at once, cached or not.
 */
@Injectable()
export class KeyVerifier {
  private readonly inflight = new Map<string, { generation: number; promise: Promise<CachedKey> }>();
  private readonly outcomes: Counter<'outcome'>;
  private readonly outcomeCounters = new Map<string, { inc(): void }>();
  private readonly lookupCounter: Counter;
  /** Presented strings refused by format or checksum (never looked up). */
  malformed = 0;
  /** Database lookups (cache misses). */
  lookups = 0;

  constructor(
    private readonly repo: ApiKeysRepository,
    private readonly cache: KeyCache,
    private readonly hasher: KeyHasher,
    private readonly limiter: RateLimiter,
    private readonly usage: UsageRecorder,
    private readonly denials: DenialAuditor,
    private readonly clock: Clock,
    metrics: MetricsService,
    private readonly assurance: StepUpWindow,
  ) {
    this.outcomes = new Counter({
      name: 'api_key_verifications_total',
      help: 'API key verifications by outcome (MALFORMED: refused by format or checksum, never looked up)',
      labelNames: ['outcome'],
      registers: [metrics.registry],
    });
    this.lookupCounter = new Counter({
      name: 'api_key_lookups_total',
      help: 'API key database lookups (verification cache misses)',
      registers: [metrics.registry],
    });
  }

  /**
   * Synchronous on a cache hit for a key without rate limit or quota (no promise, no await: under async_hooks each
   * one costs), a promise otherwise. `await` works on both. `rule` is what the key is to be used for (a route's
   * rule, or the scopes a calling service asks about): a key it refuses is INSUFFICIENT_SCOPES before it spends rate
   * limit or quota.
   */
  verify(
    presented: string,
    ip: string | undefined,
    rule?: AccessRule,
    use?: KeyUse,
  ): Verification | Promise<Verification> {
    const parsed = parseKey(presented);
    if (!parsed) {
      this.malformed++;
      this.count('MALFORMED');
      return { code: 'NOT_FOUND', scopes: [], deferred: false };
    }
    const digest = presentedDigest(presented);
    const entry = this.cache.get(digest);
    if (entry) return this.decide(entry, ip, rule, use);
    return this.load(parsed, presented, digest).then((loaded) => this.decide(loaded, ip, rule, use));
  }

  /**
   * The rest of a deferred verification (`deferred: true`), once the throttler guard has decided the key's rate limit
   * (`ratelimit`, undefined for a key without one): a refused request spends no quota; then the quota (one unit);
   * then the outcome is recorded as `verify` would have.
   */
  charge(
    deferred: Verification,
    ip: string | undefined,
    ratelimit: RateLimitDecision | undefined,
  ): Verification | Promise<Verification> {
    const key = deferred.key!;
    const graceEndsAt = deferred.graceEndsAt;
    if (ratelimit && !ratelimit.allowed)
      return this.finish(key, outcome('RATE_LIMITED', key, graceEndsAt, ratelimit), ip);
    if (!key.hasQuota) return this.finish(key, outcome('VALID', key, graceEndsAt, ratelimit), ip);
    return this.spendQuota(key, graceEndsAt, ratelimit, 1).then((r) => this.finish(key, r, ip));
  }

  private decide(
    entry: CachedKey,
    ip: string | undefined,
    rule: AccessRule | undefined,
    use: KeyUse | undefined,
  ): Verification | Promise<Verification> {
    if (entry.kind === 'unknown') {
      this.count('NOT_FOUND');
      return { code: 'NOT_FOUND', scopes: [], deferred: false };
    }
    const checked = this.check(entry, ip, rule, use?.cost ?? 1, use?.deferLimits ?? false);
    return checked instanceof Promise
      ? checked.then((r) => this.finish(entry, r, ip, use?.reportedBy))
      : this.finish(entry, checked, ip, use?.reportedBy);
  }

  private finish(entry: KnownKey, result: Verification, ip: string | undefined, reportedBy?: string): Verification {
    if (result.deferred) return result;
    this.count(result.code);
    this.usage.record(entry.id, result.code, ip, reportedBy);
    if (result.code !== 'VALID' || result.graceEndsAt) this.denials.note(entry, result.code, ip, result.graceEndsAt);
    return result;
  }

  /** Label children bound once: no label hashing per request. */
  private count(outcome: string): void {
    let c = this.outcomeCounters.get(outcome);
    if (!c) this.outcomeCounters.set(outcome, (c = this.outcomes.labels(outcome)));
    c.inc();
  }

  /** Synchronous unless the key has a rate limit or a quota (those may need Redis or the database). */
  private check(
    key: KnownKey,
    ip: string | undefined,
    rule: AccessRule | undefined,
    cost: number,
    defer: boolean,
  ): Verification | Promise<Verification> {
    const now = this.clock.nowMs();
    if (key.status === 'revoked' || key.ownerDisabled) return outcome('REVOKED', key);
    if (key.status === 'expired' || (key.expiresAt && key.expiresAt.getTime() <= now)) return outcome('EXPIRED', key);
    let graceEndsAt: Date | undefined;
    if (key.status === 'rotating') {
      if (!key.graceEndsAt || key.graceEndsAt.getTime() <= now) return outcome('REVOKED', key);
      graceEndsAt = key.graceEndsAt;
    }
    if (key.allowlist && (!ip || !ipMatches(key.allowlist, ip))) return outcome('FORBIDDEN_IP', key, graceEndsAt);
    // The rule decides, here to refuse before the limits are spent and to give POST /v1/keys/verify the same verdict
    // the guard would (a key whose owner has not verified the address is no VALID key to another service either);
    // other refusals (the kind) are left to the guard, which checks them before the lookup.
    const denial = rule && evaluateAccess(rule, key.principal, undefined, this.assurance.emailVerification);
    if (denial?.code === 'INSUFFICIENT_SCOPES' || denial?.code === 'EMAIL_NOT_VERIFIED')
      return outcome(denial.code, key, graceEndsAt, undefined, undefined, denial);
    if (!key.rateLimit && !key.hasQuota) return outcome('VALID', key, graceEndsAt);
    if (defer) {
      const pending = outcome('VALID', key, graceEndsAt);
      pending.deferred = true;
      return pending;
    }
    return this.checkLimits(key, graceEndsAt, cost);
  }

  /** Rate limit, then quota, here (POST /v1/keys/verify); requests themselves have them spent by the guard. */
  private async checkLimits(key: KnownKey, graceEndsAt: Date | undefined, cost: number): Promise<Verification> {
    let ratelimit: RateLimitDecision | undefined;
    if (key.rateLimit) {
      ratelimit = await this.limiter.hit(keyBucket(key), key.rateLimit.limit, key.rateLimit.windowSeconds);
      if (!ratelimit.allowed) return outcome('RATE_LIMITED', key, graceEndsAt, ratelimit);
    }
    return key.hasQuota
      ? this.spendQuota(key, graceEndsAt, ratelimit, cost)
      : outcome('VALID', key, graceEndsAt, ratelimit);
  }

  private async spendQuota(
    key: KnownKey,
    graceEndsAt: Date | undefined,
    ratelimit: RateLimitDecision | undefined,
    cost: number,
  ): Promise<Verification> {
    const quota = await this.repo.consumeQuota(key.quotaKeyId, this.clock.now(), cost);
    if (!quota.allowed) return outcome('QUOTA_EXCEEDED', key, graceEndsAt, ratelimit, quota.remaining);
    const quotaRemaining = quota.remaining;
    return outcome('VALID', key, graceEndsAt, ratelimit, quotaRemaining);
  }

  /**
   * One lookup per presented key at a time. A lookup that started before an invalidation is neither cached nor
   * joined by requests arriving after it (they could otherwise be answered from a row read before a revocation).
   */
  private load(parsed: ParsedKey, presented: string, digest: string): Promise<CachedKey> {
    const generation = this.cache.generation;
    const pending = this.inflight.get(digest);
    if (pending && pending.generation === generation) return pending.promise;
    const promise = this.lookup(parsed, presented)
      .then((value) => {
        this.cache.set(digest, value, generation);
        return value;
      })
      .finally(() => {
        if (this.inflight.get(digest)?.promise === promise) this.inflight.delete(digest);
      });
    this.inflight.set(digest, { generation, promise });
    return promise;
  }

  private async lookup(parsed: ParsedKey, presented: string): Promise<CachedKey> {
    this.lookups++;
    this.lookupCounter.inc();
    const row = await this.repo.findByKeyIdWithOwner(parsed.keyId);
    if (!row || row.key.environment !== parsed.environment) {
      await this.hasher.spendDummy(presented);
      return { kind: 'unknown' };
    }
    const check = await this.hasher.verify(presented, row.key.hash);
    if (!check.ok) return { kind: 'unknown' };
    if (check.needsRehash && (row.key.status === 'active' || row.key.status === 'rotating')) {
      await this.repo.replaceHash(row.key.id, row.key.hash, await this.hasher.hash(presented));
    }
    return toKnown(row);
  }
}

/** Every verification has one object shape (monomorphic on the hot path). */
function outcome(
  code: VerifyCode,
  key: KnownKey,
  graceEndsAt?: Date,
  ratelimit?: RateLimitDecision,
  quotaRemaining?: number,
  denial?: AccessDenial,
): Verification {
  return { code, key, scopes: key.effectiveScopes, denial, ratelimit, graceEndsAt, quotaRemaining, deferred: false };
}

function toKnown({ key, ownerRole, ownerScopes, ownerDisabled, ownerEmailVerified }: KeyWithOwner): KnownKey {
  const effective = effectiveScopes({ scopes: key.scopes, ownerScopes });
  return {
    kind: 'known',
    id: key.id,
    keyId: key.keyId,
    ownerId: key.ownerId,
    ownerRole,
    ownerScopes,
    ownerDisabled,
    environment: key.environment,
    scopes: key.scopes,
    effectiveScopes: effective,
    status: key.status,
    expiresAt: key.expiresAt,
    graceEndsAt: key.graceEndsAt,
    allowlist: key.ipAllowlist.length ? blockListOf(key.ipAllowlist) : null,
    rateLimit:
      key.rateLimit && key.rateWindowSeconds ? { limit: key.rateLimit, windowSeconds: key.rateWindowSeconds } : null,
    hasQuota: key.quotaRemaining !== null,
    quotaKeyId: key.status === 'rotating' && key.rotatedTo ? key.rotatedTo : key.id,
    principal: Object.freeze({
      kind: 'apiKey' as const,
      userId: key.ownerId,
      role: ownerRole,
      scopes: effective,
      keyId: key.id,
      emailVerified: ownerEmailVerified,
    }),
  };
}
