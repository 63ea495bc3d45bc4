import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { BlockList } from 'node:net';
import { AppConfig, ChangeFeed, Principal } from '@app/core';
import type { ApiKeyStatus } from './entities/api-key.entity';
import type { KeyEnvironment } from './key-format';

/** What verification needs about a key that matched its hash; everything else is checked per request. */
export interface KnownKey {
  kind: 'known';
  id: string;
  keyId: string;
  ownerId: string;
  ownerRole: 'user' | 'admin';
  ownerScopes: string[];
  ownerDisabled: boolean;
  environment: KeyEnvironment;
  scopes: string[];
  /** The key's scopes its owner still holds, computed once per load (changes to either invalidate the entry). */
  effectiveScopes: string[];
  status: ApiKeyStatus;
  expiresAt: Date | null;
  graceEndsAt: Date | null;
  allowlist: BlockList | null;
  rateLimit: { limit: number; windowSeconds: number } | null;
  hasQuota: boolean;
  /**
   * The row whose quota and rate-limit bucket a use spends: the successor's while a rotated key is in its grace
   * period, so rotating a key never doubles what its holder may spend.
   */
  quotaKeyId: string;
  /** The principal a valid use acts as (immutable, built once per load). */
  principal: Readonly<Principal>;
}

/** A well-formed key that matches nothing (unknown id or wrong secret). */
export interface UnknownKey {
  kind: 'unknown';
}

export type CachedKey = KnownKey | UnknownKey;

/**
 * Verified keys, in process: a bounded LRU keyed by the digest of the presented key, with a short TTL. Indexed by
 * key and owner so a change invalidates exactly the entries it affects.
 */
@Injectable()
export class KeyCache {
  private readonly lru: LRUCache<string, CachedKey>;
  private readonly byKey = new Map<string, Set<string>>();
  private readonly byOwner = new Map<string, Set<string>>();
  readonly enabled: boolean;
  hits = 0;
  misses = 0;
  /** Bumped by every invalidation: a lookup that started before it must not cache its (possibly stale) result. */
  generation = 0;

  constructor(
    config: AppConfig,
    private readonly changes: ChangeFeed,
  ) {
    this.enabled = config.env.API_KEY_CACHE_TTL_MS > 0;
    this.lru = new LRUCache<string, CachedKey>({
      max: config.env.API_KEY_CACHE_SIZE,
      ttl: Math.max(1, config.env.API_KEY_CACHE_TTL_MS),
      dispose: (value, digest) => this.unindex(digest, value),
    });
  }

  get(digest: string): CachedKey | undefined {
    const v = this.enabled ? this.lru.get(digest) : undefined;
    if (v) this.hits++;
    else this.misses++;
    return v;
  }

  set(digest: string, value: CachedKey, generation: number): void {
    // Without a listening change feed, another instance's revocation would go unseen: then nothing is cached.
    if (!this.enabled || generation !== this.generation || !this.changes.listening) return;
    this.lru.set(digest, value);
    if (value.kind === 'known') {
      addTo(this.byKey, value.id, digest);
      addTo(this.byOwner, value.ownerId, digest);
    }
  }

  /** A key changed (revoked, rotated, edited, used up): drop it. */
  invalidateKey(id: string): void {
    this.generation++;
    for (const digest of [...(this.byKey.get(id) ?? [])]) this.lru.delete(digest);
  }

  /** An owner changed (scopes, disabled): drop all of their keys. */
  invalidateOwner(ownerId: string): void {
    this.generation++;
    for (const digest of [...(this.byOwner.get(ownerId) ?? [])]) this.lru.delete(digest);
  }

  clear(): void {
    this.generation++;
    this.lru.clear();
  }

  get size(): number {
    return this.lru.size;
  }

  private unindex(digest: string, value: CachedKey): void {
    if (value.kind !== 'known') return;
    removeFrom(this.byKey, value.id, digest);
    removeFrom(this.byOwner, value.ownerId, digest);
  }
}

function addTo(index: Map<string, Set<string>>, id: string, digest: string): void {
  let set = index.get(id);
  if (!set) index.set(id, (set = new Set()));
  set.add(digest);
}

function removeFrom(index: Map<string, Set<string>>, id: string, digest: string): void {
  const set = index.get(id);
  if (!set) return;
  set.delete(digest);
  if (!set.size) index.delete(id);
}
