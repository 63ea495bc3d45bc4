import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AppConfig, ChangeFeed, Principal } from '@app/core';
import type { UserView } from './dto/user.response';

/** Published (with a session id) when one session changes: revoked, logged out, re-authenticated. */
export const SESSION_TOPIC = 'session';

/** What a request needs about a live session; the rest (idle and absolute timeouts) is checked per request. */
export interface CachedSession {
  id: string;
  userId: string;
  expiresAtMs: number;
  /** The last use known on this instance (epoch ms): the idle timeout counts from here. */
  seenMs: number;
  /** The last use written (or being written) to the database: activity is recorded only when this is stale. */
  storedSeenMs: number;
  /** The principal a valid use acts as (immutable, built once per load). */
  principal: Readonly<Principal>;
}

/**
 * Live sessions and user views, in process, as the API key cache keeps keys: bounded LRUs with a short TTL, indexed by
 * session and user so a change drops exactly what it affects. A lookup records the generation before it reads; an
 * invalidation bumps it, and a result read before the bump is not cached (it may be stale). Nothing is cached while
 * the change feed does not listen: another instance's revocation would go unseen.
 */
@Injectable()
export class PrincipalCache {
  private readonly sessions: LRUCache<string, CachedSession>;
  private readonly users: LRUCache<string, Readonly<UserView>>;
  private readonly bySession = new Map<string, string>();
  private readonly byUser = new Map<string, Set<string>>();
  readonly enabled: boolean;
  generation = 0;
  hits = 0;
  misses = 0;

  constructor(
    config: AppConfig,
    private readonly changes: ChangeFeed,
  ) {
    this.enabled = config.env.SESSION_CACHE_TTL_MS > 0;
    const ttl = Math.max(1, config.env.SESSION_CACHE_TTL_MS);
    this.sessions = new LRUCache<string, CachedSession>({
      max: config.env.SESSION_CACHE_SIZE,
      ttl,
      dispose: (value, digest) => this.unindex(digest, value),
    });
    this.users = new LRUCache<string, Readonly<UserView>>({ max: config.env.SESSION_CACHE_SIZE, ttl });
  }

  /** The live session whose token has this digest, if cached. */
  session(digest: string): CachedSession | undefined {
    const v = this.enabled ? this.sessions.get(digest) : undefined;
    if (v) this.hits++;
    else this.misses++;
    return v;
  }

  setSession(digest: string, value: CachedSession, generation: number): void {
    if (!this.cacheable(generation)) return;
    this.sessions.set(digest, value);
    this.bySession.set(value.id, digest);
    let digests = this.byUser.get(value.userId);
    if (!digests) this.byUser.set(value.userId, (digests = new Set()));
    digests.add(digest);
  }

  /** The user as `GET /v1/me` shows it, if cached. */
  user(userId: string): Readonly<UserView> | undefined {
    return this.enabled ? this.users.get(userId) : undefined;
  }

  setUser(userId: string, view: UserView, generation: number): void {
    if (this.cacheable(generation)) this.users.set(userId, Object.freeze(view));
  }

  /** One session changed (revoked, re-authenticated): drop it. */
  invalidateSession(sessionId: string): void {
    this.generation++;
    const digest = this.bySession.get(sessionId);
    if (digest) this.sessions.delete(digest);
  }

  /** A user changed (scopes, state, password, sessions ended): drop the user and every session of theirs. */
  invalidateUser(userId: string): void {
    this.generation++;
    this.users.delete(userId);
    for (const digest of [...(this.byUser.get(userId) ?? [])]) this.sessions.delete(digest);
  }

  /** Anything may have changed (the listener lost its connection). */
  clear(): void {
    this.generation++;
    this.sessions.clear();
    this.users.clear();
  }

  /** Forgets a cached session without counting it as a change (it went idle or expired). */
  drop(digest: string): void {
    this.sessions.delete(digest);
  }

  get size(): { sessions: number; users: number } {
    return { sessions: this.sessions.size, users: this.users.size };
  }

  private cacheable(generation: number): boolean {
    return this.enabled && generation === this.generation && this.changes.listening;
  }

  private unindex(digest: string, value: CachedSession): void {
    if (this.bySession.get(value.id) === digest) this.bySession.delete(value.id);
    const digests = this.byUser.get(value.userId);
    if (!digests) return;
    digests.delete(digest);
    if (!digests.size) this.byUser.delete(value.userId);
  }
}
