import { Injectable } from '@nestjs/common';
import { RandomSource } from '@app/crypto';
import { Aal, AppConfig, ChangeFeed, Clock, Principal, Role, USER_CHANGES_TOPIC } from '@app/core';
import type { EntityManager } from 'typeorm';
import { AuthErrorCode, AuthException } from './auth-error-codes';
import { SessionView } from './dto/session.response';
import { Session } from './entities/session.entity';
import { CachedSession, PrincipalCache, SESSION_TOPIC } from './principal-cache';
import { SessionActivity } from './session-activity';
import { SessionsRepository } from './sessions.repository';
import { newOpaqueToken, OPAQUE_TOKEN, tokenDigest } from './tokens';

const LAST_SEEN_RESOLUTION_MS = 60_000;

export interface IssuedSession {
  token: string;
  session: Session;
  /** Older sessions ended to stay within SESSION_MAX_PER_USER. */
  ended: number;
}

export { SessionView } from './dto/session.response';

function invalid(): AuthException {
  return new AuthException(AuthErrorCode.SESSION_INVALID, 'The session token is not valid.');
}

/**
 * Opaque bearer sessions: idle and absolute timeouts, immediate revocation, batched last-seen writes. A live session is
 * cached in process (PrincipalCache): a warm session costs no database statement. Every write that ends or changes a
 * session publishes a change in its transaction (other instances drop it when it commits); the caller calls
 * {@link forgetSession} or {@link forgetUser} after the commit so this instance drops it before answering.
 */
@Injectable()
export class SessionsService {
  private readonly idleMs: number;
  /** MFA_REQUIRED_ROLES: a session of such a user without a second factor may only enrol one. */
  private readonly mfaRequiredRoles: ReadonlySet<Role>;

  constructor(
    private readonly repo: SessionsRepository,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly config: AppConfig,
    private readonly cache: PrincipalCache,
    private readonly activity: SessionActivity,
    private readonly changes: ChangeFeed,
  ) {
    this.idleMs = config.env.SESSION_IDLE_MINUTES * 60_000;
    this.mfaRequiredRoles = new Set(
      config.env.MFA_REQUIRED_ROLES.split(',')
        .map((r) => r.trim())
        .filter(Boolean) as Role[],
    );
  }

  /** `assurance`: a login that proved a second factor issues an aal2 session (default aal1, password only). */
  async issue(
    userId: string,
    client: { ip?: string; userAgent?: string; deviceId?: string },
    em?: EntityManager,
    assurance: { aal: Aal } = { aal: 'aal1' },
  ): Promise<IssuedSession> {
    const now = this.clock.now();
    const token = newOpaqueToken(this.random);
    const session = await this.repo.insert(
      {
        userId,
        tokenHash: tokenDigest(token),
        createdAt: now,
        authenticatedAt: now,
        aal: assurance.aal,
        secondFactorAt: assurance.aal === 'aal2' ? now : null,
        lastSeenAt: now,
        expiresAt: new Date(now.getTime() + this.config.env.SESSION_ABSOLUTE_HOURS * 3_600_000),
        ip: client.ip ?? null,
        userAgent: client.userAgent?.slice(0, 300) ?? null,
        deviceId: client.deviceId ?? null,
      },
      em,
    );
    const ended = await this.repo.endBeyond(
      userId,
      session.id,
      this.config.env.SESSION_MAX_PER_USER,
      now,
      this.idleSince(now),
      em,
    );
    // Sessions ended beyond the cap: the caller forgets them (forgetUser) once the login committed.
    if (ended && em) await this.changes.publish(em, USER_CHANGES_TOPIC, userId);
    return { token, session, ended };
  }

  /** Sessions not seen since this moment have expired by idleness. */
  idleSince(now: Date): Date {
    return new Date(now.getTime() - this.config.env.SESSION_IDLE_MINUTES * 60_000);
  }

  /**
   * Resolves a presented token to a principal, or throws SESSION_INVALID / SESSION_EXPIRED. A cached session is
   * answered without a statement while it is within both timeouts as this instance knows them; one that looks idle here
   * is read again (it may have been used on another instance).
   */
  resolve(token: string): Principal | Promise<Principal> {
    if (!OPAQUE_TOKEN.test(token)) return Promise.reject(invalid());
    const digest = tokenDigest(token);
    const cached = this.cache.session(digest);
    if (cached) {
      const nowMs = this.clock.nowMs();
      if (nowMs < cached.expiresAtMs && nowMs - cached.seenMs < this.idleMs) {
        this.seen(cached, nowMs);
        return cached.principal;
      }
      this.cache.drop(digest);
    }
    return this.load(digest);
  }

  private async load(digest: string): Promise<Principal> {
    const generation = this.cache.generation;
    const s = await this.repo.findByTokenHash(digest);
    if (!s || s.revokedAt || s.disabledAt) throw invalid();
    const nowMs = this.clock.nowMs();
    const storedSeenMs = s.lastSeenAt.getTime();
    const seenMs = Math.max(storedSeenMs, this.activity.unwritten(s.id) ?? 0);
    if (nowMs >= s.expiresAt.getTime() || nowMs - seenMs >= this.idleMs)
      throw new AuthException(AuthErrorCode.SESSION_EXPIRED, 'The session has expired; sign in again.');
    const entry: CachedSession = {
      id: s.id,
      userId: s.userId,
      expiresAtMs: s.expiresAt.getTime(),
      seenMs,
      storedSeenMs,
      principal: Object.freeze({
        kind: 'session',
        userId: s.userId,
        role: s.role,
        scopes: s.scopes,
        sessionId: s.id,
        emailVerified: s.emailVerified,
        authenticatedAt: s.authenticatedAt,
        aal: s.aal,
        ...(s.secondFactorAt ? { secondFactorAt: s.secondFactorAt } : {}),
        hasSecondFactor: s.mfaEnabled,
        mfaEnrolmentRequired: !s.mfaEnabled && this.mfaRequiredRoles.has(s.role),
      }),
    };
    this.seen(entry, nowMs);
    this.cache.setSession(digest, entry, generation);
    return entry.principal as Principal;
  }

  /** A use: the idle clock restarts; last-seen is written in the next batch once the stored value is a minute old. */
  private seen(entry: CachedSession, nowMs: number): void {
    if (nowMs > entry.seenMs) entry.seenMs = nowMs;
    if (nowMs - entry.storedSeenMs < LAST_SEEN_RESOLUTION_MS) return;
    entry.storedSeenMs = nowMs;
    this.activity.record(entry.id, nowMs);
  }

  /** Call after the transaction that changed or ended this session committed: this instance drops it at once. */
  forgetSession(sessionId: string): void {
    this.changes.emitLocal(SESSION_TOPIC, sessionId);
  }

  /** Call after the transaction that ended sessions of the user (or changed the user) committed. */
  forgetUser(userId: string): void {
    this.changes.emitLocal(USER_CHANGES_TOPIC, userId);
  }

  async list(userId: string, currentId?: string): Promise<SessionView[]> {
    const now = this.clock.now();
    const sessions = await this.repo.listActive(userId, now, this.idleSince(now));
    return sessions.map((s) => ({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      lastSeenAt: s.lastSeenAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      ip: s.ip,
      userAgent: s.userAgent,
      aal: s.aal,
      authenticatedAt: s.authenticatedAt.toISOString(),
      secondFactorAt: s.secondFactorAt?.toISOString() ?? null,
      current: s.id === currentId,
    }));
  }

  /** The session proved the password again (step-up): its `authenticatedAt` becomes now. */
  async renewAuthentication(userId: string, sessionId: string, now: Date, em: EntityManager): Promise<boolean> {
    if (!(await this.repo.renewAuthentication(userId, sessionId, now, em))) return false;
    await this.changes.publish(em, SESSION_TOPIC, sessionId);
    return true;
  }

  /**
   * The session proved a second factor (step-up with a factor): aal2, and `authenticatedAt` now. The caller calls
   * forgetSession after the commit.
   */
  async renewWithSecondFactor(userId: string, sessionId: string, now: Date, em: EntityManager): Promise<boolean> {
    if (!(await this.repo.renewWithSecondFactor(userId, sessionId, now, em))) return false;
    await this.changes.publish(em, SESSION_TOPIC, sessionId);
    return true;
  }

  /**
   * Throws SESSION_INVALID when the session was revoked after the request was let in: for work that queues on a lock a
   * revocation (a password reset) also takes, so nothing is minted with a session ended meanwhile.
   */
  async assertNotRevoked(sessionId: string, em: EntityManager): Promise<void> {
    if (await this.repo.isRevoked(sessionId, em))
      throw new AuthException(AuthErrorCode.SESSION_INVALID, 'The session has ended.');
  }

  /** Revokes one session in `em` (forgetSession after the commit); answers whether it was live. */
  async revoke(userId: string, sessionId: string, em: EntityManager): Promise<boolean> {
    if (!(await this.repo.revoke(userId, sessionId, this.clock.now(), em))) return false;
    await this.changes.publish(em, SESSION_TOPIC, sessionId);
    return true;
  }

  /**
   * Revokes the user's sessions but `keep` in `em`, announced on the user topic (forgetUser after the commit): the
   * callers change the user too (password, disabled), so cached views of the user go with the sessions.
   */
  async revokeAll(userId: string, keep: string | undefined, em: EntityManager): Promise<number> {
    const ended = await this.repo.revokeAll(userId, this.clock.now(), keep, em);
    await this.changes.publish(em, USER_CHANGES_TOPIC, userId);
    return ended;
  }
}
