import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { returnedRows } from '@app/core';
import { Session } from './entities/session.entity';

export interface SessionWithUser extends Session {
  role: 'user' | 'admin';
  scopes: string[];
  disabledAt: Date | null;
  /** The user's email address is verified (read with the session: a verification applies at once). */
  emailVerified: boolean;
  /** The user has a second factor enrolled (read with the session: enrolling or removing one applies at once). */
  mfaEnabled: boolean;
}

@Injectable()
export class SessionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Sessions ended (expired, idle or revoked) more than a day ago and spent or expired email tokens are deleted (the
   * lockout counters and device tokens: LockoutRepository.purge, in the same job).
   */
  async purgeEnded(now: Date, idleMinutes: number): Promise<{ sessions: number; emailTokens: number }> {
    const dayAgo = new Date(now.getTime() - 86_400_000);
    const idleBefore = new Date(dayAgo.getTime() - idleMinutes * 60_000);
    const sessions = await this.dataSource.query(
      `DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1 OR last_seen_at < $2 RETURNING id`,
      [dayAgo, idleBefore],
    );
    const tokens = await this.dataSource.query(
      `DELETE FROM email_tokens WHERE expires_at < $1 OR used_at < $1 RETURNING id`,
      [dayAgo],
    );
    return {
      sessions: returnedRows(sessions).length,
      emailTokens: returnedRows(tokens).length,
    };
  }

  async insert(session: Partial<Session>, em: EntityManager = this.dataSource.manager): Promise<Session> {
    const repo = em.getRepository(Session);
    return repo.save(repo.create(session));
  }

  async findByTokenHash(hash: string): Promise<SessionWithUser | undefined> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT s.id, s.user_id, s.created_at, s.authenticated_at, s.aal, s.second_factor_at, s.last_seen_at, s.expires_at, s.revoked_at,
              u.role, u.scopes, u.disabled_at, u.email_verified_at, u.mfa_enabled
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`,
      [hash],
    );
    const r = rows[0];
    if (!r) return undefined;
    return Object.assign(new Session(), {
      id: r.id as string,
      userId: r.user_id as string,
      createdAt: r.created_at as Date,
      authenticatedAt: r.authenticated_at as Date,
      aal: r.aal as 'aal1' | 'aal2',
      secondFactorAt: r.second_factor_at as Date | null,
      lastSeenAt: r.last_seen_at as Date,
      expiresAt: r.expires_at as Date,
      revokedAt: r.revoked_at as Date | null,
      role: r.role as 'user' | 'admin',
      scopes: r.scopes as string[],
      disabledAt: r.disabled_at as Date | null,
      emailVerified: r.email_verified_at !== null,
      mfaEnabled: r.mfa_enabled === true,
    });
  }

  /** Last-seen times of a batch of sessions in one statement (never moves one back). */
  async touchMany(seen: { id: string; seenAt: Date }[]): Promise<void> {
    if (!seen.length) return;
    await this.dataSource.query(
      `UPDATE sessions s SET last_seen_at = v.seen
       FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, seen)
       WHERE s.id = v.id AND s.last_seen_at < v.seen`,
      [seen.map((s) => s.id), seen.map((s) => s.seenAt)],
    );
  }

  /**
   * Renews the recent authentication of one live session of the user (step-up); answers whether it did (a session
   * revoked meanwhile is not renewed).
   */
  async renewAuthentication(userId: string, sessionId: string, now: Date, em: EntityManager): Promise<boolean> {
    const result: unknown = await em.query(
      'UPDATE sessions SET authenticated_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id',
      [sessionId, userId, now],
    );
    return returnedRows(result).length > 0;
  }

  /** Step-up with a second factor: the session becomes aal2, recently authenticated, its factor proven now. */
  async renewWithSecondFactor(userId: string, sessionId: string, now: Date, em: EntityManager): Promise<boolean> {
    const result: unknown = await em.query(
      `UPDATE sessions SET authenticated_at = $3, second_factor_at = $3, aal = 'aal2'
       WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id`,
      [sessionId, userId, now],
    );
    return returnedRows(result).length > 0;
  }

  listActive(userId: string, now: Date, idleSince: Date): Promise<Session[]> {
    return this.dataSource
      .getRepository(Session)
      .createQueryBuilder('s')
      .where('s.userId = :userId AND s.revokedAt IS NULL AND s.expiresAt > :now AND s.lastSeenAt > :idleSince', {
        userId,
        now,
        idleSince,
      })
      .orderBy('s.createdAt', 'DESC')
      .limit(100)
      .getMany();
  }

  /**
   * Ends the user's oldest active sessions so that `keep` remain, the new one `newId` always among them (its
   * timestamp cannot decide: another instance's clock may be ahead). Called with the user row locked by the login, so
   * parallel logins cannot both slip under the cap; answers how many it ended.
   */
  async endBeyond(
    userId: string,
    newId: string,
    keep: number,
    now: Date,
    idleSince: Date,
    em: EntityManager = this.dataSource.manager,
  ): Promise<number> {
    const result: unknown = await em.query(
      `UPDATE sessions SET revoked_at = $2 WHERE id IN (
         SELECT id FROM sessions WHERE user_id = $1 AND id <> $5 AND revoked_at IS NULL AND expires_at > $2 AND last_seen_at > $3
         ORDER BY created_at DESC, id DESC OFFSET $4)
       RETURNING id`,
      [userId, now, idleSince, keep - 1, newId],
    );
    return returnedRows(result).length;
  }

  /** Whether the session is revoked or gone, as of this statement (read in the caller's transaction). */
  async isRevoked(id: string, em: EntityManager = this.dataSource.manager): Promise<boolean> {
    const row = await em.getRepository(Session).findOne({ where: { id }, select: { id: true, revokedAt: true } });
    return !row || row.revokedAt !== null;
  }

  /** Revokes one of the user's sessions; answers whether it existed (another user's id finds nothing). */
  async revoke(
    userId: string,
    sessionId: string,
    now: Date,
    em: EntityManager = this.dataSource.manager,
  ): Promise<boolean> {
    const res = await em
      .getRepository(Session)
      .update({ id: sessionId, userId, revokedAt: IsNull() }, { revokedAt: now });
    return (res.affected ?? 0) > 0;
  }

  /** Revokes all of a user's sessions except `keep`; answers how many. */
  async revokeAll(
    userId: string,
    now: Date,
    keep: string | undefined,
    em: EntityManager = this.dataSource.manager,
  ): Promise<number> {
    const result: unknown = await em.query(
      `UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3::uuid) RETURNING id`,
      [userId, now, keep ?? null],
    );
    return returnedRows(result).length;
  }
}
