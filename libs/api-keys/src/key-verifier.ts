import { Injectable } from '@nestjs/common';
import { blockListOf, Clock, ipMatches, missingScopes } from '@app/core';
import { ApiKeysRepository, KeyWithOwner } from './api-keys.repository';
import { DenialAuditor } from './denial-auditor';
import { CachedKey, KeyCache, KnownKey } from './key-cache';
import { ParsedKey, parseKey, presentedDigest } from './key-format';
import { KeyHasher } from './key-hasher';
import { RateLimitDecision } from './rate-limit/gcra';
import { RateLimiter } from './rate-limit/rate-limiter';
import { UsageRecorder } from './usage/usage-recorder';

export type VerifyCode = 'VALID' | 'NOT_FOUND' | 'EXPIRED' | 'REVOKED' | 'FORBIDDEN_IP' | 'INSUFFICIENT_SCOPES' | 'RATE_LIMITED' | 'QUOTA_EXCEEDED';

export interface Verification {
  code: VerifyCode;
  key?: KnownKey;
  /** The key's scopes that its owner still holds: what the key may do now. */
  scopes: string[];
  missingScopes?: string[];
  ratelimit?: RateLimitDecision;
  /** Set while the key is in its rotation grace period. */
  graceEndsAt?: Date;
  quotaRemaining?: number;
}

/** A key acts only with scopes its owner holds now (admin:all in the owner covers any). */
export function effectiveScopes(key: Pick<KnownKey, 'scopes' | 'ownerScopes'>): string[] {
  const ownerIsAdmin = key.ownerScopes.includes('admin:all');
  return key.scopes.filter((s) => ownerIsAdmin || key.ownerScopes.includes(s));
}

/**
 * The hot path. A presented key is parsed and checksum-checked first (no lookup for malformed keys); a cache hit
 * costs a SHA-256 and a map lookup; a miss reads one row and checks the stored hash. Status, expiry, grace, allowlist,
 * scopes, rate limit and quota are checked on every request against the injected clock, so an expired key is refused
 * at once, cached or not.
 */
@Injectable()
export class KeyVerifier {
  private readonly inflight = new Map<string, Promise<CachedKey>>();
  /** Presented strings refused by format or checksum (never looked up). */
  malformed = 0;
  lookups = 0;

  constructor(
    private readonly repo: ApiKeysRepository,
    private readonly cache: KeyCache,
    private readonly hasher: KeyHasher,
    private readonly limiter: RateLimiter,
    private readonly usage: UsageRecorder,
    private readonly denials: DenialAuditor,
    private readonly clock: Clock,
  ) {}

  async verify(presented: string, ip: string | undefined, requiredScopes: readonly string[] = []): Promise<Verification> {
    const parsed = parseKey(presented);
    if (!parsed) {
      this.malformed++;
      return { code: 'NOT_FOUND', scopes: [] };
    }
    const digest = presentedDigest(presented);
    const entry = this.cache.get(digest) ?? (await this.load(parsed, presented, digest));
    if (entry.kind === 'unknown') return { code: 'NOT_FOUND', scopes: [] };
    const result = await this.check(entry, ip, requiredScopes);
    this.usage.record(entry.id, result.code, ip);
    if (result.code !== 'VALID' || result.graceEndsAt) this.denials.note(entry, result.code, ip, result.graceEndsAt);
    return result;
  }

  private async check(key: KnownKey, ip: string | undefined, required: readonly string[]): Promise<Verification> {
    const now = this.clock.nowMs();
    const base = { key, scopes: effectiveScopes(key) };
    if (key.status === 'revoked' || key.ownerDisabled) return { ...base, code: 'REVOKED' };
    if (key.status === 'expired' || (key.expiresAt && key.expiresAt.getTime() <= now)) return { ...base, code: 'EXPIRED' };
    let graceEndsAt: Date | undefined;
    if (key.status === 'rotating') {
      if (!key.graceEndsAt || key.graceEndsAt.getTime() <= now) return { ...base, code: 'REVOKED' };
      graceEndsAt = key.graceEndsAt;
    }
    if (key.allowlist && (!ip || !ipMatches(key.allowlist, ip))) return { ...base, code: 'FORBIDDEN_IP', graceEndsAt };
    const missing = missingScopes(base.scopes, required);
    if (missing.length) return { ...base, code: 'INSUFFICIENT_SCOPES', missingScopes: missing, graceEndsAt };
    let ratelimit: RateLimitDecision | undefined;
    if (key.rateLimit) {
      ratelimit = await this.limiter.hit(key.id, key.rateLimit.limit, key.rateLimit.windowSeconds);
      if (!ratelimit.allowed) return { ...base, code: 'RATE_LIMITED', ratelimit, graceEndsAt };
    }
    let quotaRemaining: number | undefined;
    if (key.hasQuota) {
      quotaRemaining = await this.repo.consumeQuota(key.id, this.clock.now());
      if (quotaRemaining === undefined) return { ...base, code: 'QUOTA_EXCEEDED', ratelimit, graceEndsAt };
    }
    return { ...base, code: 'VALID', ratelimit, graceEndsAt, quotaRemaining };
  }

  /** One lookup per presented key at a time; a change during the lookup keeps its (stale) result out of the cache. */
  private load(parsed: ParsedKey, presented: string, digest: string): Promise<CachedKey> {
    let pending = this.inflight.get(digest);
    if (!pending) {
      const generation = this.cache.generation;
      pending = this.lookup(parsed, presented)
        .then((value) => {
          this.cache.set(digest, value, generation);
          return value;
        })
        .finally(() => this.inflight.delete(digest));
      this.inflight.set(digest, pending);
    }
    return pending;
  }

  private async lookup(parsed: ParsedKey, presented: string): Promise<CachedKey> {
    this.lookups++;
    const row = await this.repo.findByKeyIdWithOwner(parsed.keyId);
    if (!row || row.key.environment !== parsed.environment) return { kind: 'unknown' };
    const check = await this.hasher.verify(presented, row.key.hash);
    if (!check.ok) return { kind: 'unknown' };
    if (check.needsRehash && (row.key.status === 'active' || row.key.status === 'rotating')) {
      await this.repo.replaceHash(row.key.id, row.key.hash, await this.hasher.hash(presented));
    }
    return toKnown(row);
  }
}

function toKnown({ key, ownerRole, ownerScopes, ownerDisabled }: KeyWithOwner): KnownKey {
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
    status: key.status,
    expiresAt: key.expiresAt,
    graceEndsAt: key.graceEndsAt,
    allowlist: key.ipAllowlist.length ? blockListOf(key.ipAllowlist) : null,
    rateLimit: key.rateLimit && key.rateWindowSeconds ? { limit: key.rateLimit, windowSeconds: key.rateWindowSeconds } : null,
    hasQuota: key.quotaRemaining !== null,
  };
}
