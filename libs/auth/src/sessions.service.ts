import { Injectable } from '@nestjs/common';
import { RandomSource } from '@app/crypto';
import { Aal, AppConfig, Clock, Principal, Role } from '@app/core';
import type { EntityManager } from 'typeorm';
import { AuthErrorCode, AuthException } from './auth-error-codes';
import { SessionView } from './dto/session.response';
import { Session } from './entities/session.entity';
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

/** Opaque bearer sessions: idle and absolute timeouts, immediate revocation, throttled last-seen writes. */
@Injectable()
export class SessionsService {
  /** MFA_REQUIRED_ROLES: a session of such a user without a second factor may only enrol one. */
  private readonly mfaRequiredRoles: ReadonlySet<Role>;

  constructor(
    private readonly repo: SessionsRepository,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly config: AppConfig,
  ) {
    this.mfaRequiredRoles = new Set(
      config.env.MFA_REQUIRED_ROLES.split(',')
        .map((r) => r.trim())
        .filter(Boolean) as Role[],
    );
  }

  /** `assurance`: a login that proved a second factor issues an aal2 session (default aal1, password only). */
  async issue(
    userId: string,
    client: { ip?: string; userAgent?: string },
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
    return { token, session, ended };
  }

  private idleSince(now: Date): Date {
    return new Date(now.getTime() - this.config.env.SESSION_IDLE_MINUTES * 60_000);
  }

  /** Resolves a presented token to a principal, or throws SESSION_INVALID / SESSION_EXPIRED. */
  async resolve(token: string): Promise<Principal> {
    if (!OPAQUE_TOKEN.test(token))
      throw new AuthException(AuthErrorCode.SESSION_INVALID, 'The session token is not valid.');
    const s = await this.repo.findByTokenHash(tokenDigest(token));
    if (!s || s.revokedAt || s.disabledAt)
      throw new AuthException(AuthErrorCode.SESSION_INVALID, 'The session token is not valid.');
    const now = this.clock.now();
    const idleLimit = s.lastSeenAt.getTime() + this.config.env.SESSION_IDLE_MINUTES * 60_000;
    if (now >= s.expiresAt || now.getTime() >= idleLimit)
      throw new AuthException(AuthErrorCode.SESSION_EXPIRED, 'The session has expired; sign in again.');
    if (now.getTime() - s.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) {
      await this.repo.touch(s.id, now, new Date(now.getTime() - LAST_SEEN_RESOLUTION_MS));
    }
    return {
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
    };
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
  renewAuthentication(userId: string, sessionId: string, now: Date, em: EntityManager): Promise<boolean> {
    return this.repo.renewAuthentication(userId, sessionId, now, em);
  }

  /** The session proved a second factor (step-up with a factor): aal2, and `authenticatedAt` now. */
  renewWithSecondFactor(userId: string, sessionId: string, now: Date, em: EntityManager): Promise<boolean> {
    return this.repo.renewWithSecondFactor(userId, sessionId, now, em);
  }

  /**
   * Throws SESSION_INVALID when the session was revoked after the request was let in: for work that queues on a lock a
   * revocation (a password reset) also takes, so nothing is minted with a session ended meanwhile.
   */
  async assertNotRevoked(sessionId: string, em: EntityManager): Promise<void> {
    if (await this.repo.isRevoked(sessionId, em))
      throw new AuthException(AuthErrorCode.SESSION_INVALID, 'The session has ended.');
  }

  revoke(userId: string, sessionId: string, em?: EntityManager): Promise<boolean> {
    return this.repo.revoke(userId, sessionId, this.clock.now(), em);
  }

  revokeAll(userId: string, keep: string | undefined, em?: EntityManager): Promise<number> {
    return this.repo.revokeAll(userId, this.clock.now(), keep, em);
  }
}
