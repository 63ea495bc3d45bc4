import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { applyKeyset, KeysetPosition, returnedRows } from '@app/core';
import { DataSource, EntityManager } from 'typeorm';
import type { UserSort } from './dto/admin-users.dto';
import { User } from './entities/user.entity';

export interface UserFilter {
  /** Prefix of the email or the username, lower-cased. */
  q?: string;
  status?: 'active' | 'disabled';
  role?: 'user' | 'admin';
  verified?: boolean;
  /** An SQL condition over `u.id` (from AccountCounts, never from a client) and the wanted truth. */
  mfa?: { condition: string; wanted: boolean };
}

/** What the admin's view of one user reads from the auth tables. */
export interface UserFacts {
  sessions: number;
  devices: number;
  lastSignInAt: Date | null;
  locked: boolean;
  pendingEmail: string | null;
}

const SORT_COLUMNS: Record<string, string> = { createdAt: 'u.createdAt', email: 'u.email' };

/** Reads and writes of user administration (listing, facts of one user, unlock). */
@Injectable()
export class AdminUsersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * A page of users in (sort column, id) order after `after`. `q` is a prefix of the email or the username; its LIKE
   * wildcards are escaped, so they match only themselves.
   */
  list(filter: UserFilter, sort: UserSort, limit: number, after?: KeysetPosition): Promise<User[]> {
    const qb = this.dataSource.getRepository(User).createQueryBuilder('u');
    if (filter.q) {
      const prefix = `${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      qb.andWhere(`(u.email LIKE :prefix ESCAPE '\\' OR u.username LIKE :prefix ESCAPE '\\')`, { prefix });
    }
    if (filter.status) qb.andWhere(filter.status === 'disabled' ? 'u.disabledAt IS NOT NULL' : 'u.disabledAt IS NULL');
    if (filter.role) qb.andWhere('u.role = :role', { role: filter.role });
    if (filter.verified !== undefined)
      qb.andWhere(filter.verified ? 'u.emailVerifiedAt IS NOT NULL' : 'u.emailVerifiedAt IS NULL');
    // sql-safe: the condition is a constant fragment registered in code (AccountCounts), never client input.
    if (filter.mfa) qb.andWhere(filter.mfa.wanted ? filter.mfa.condition : `NOT ${filter.mfa.condition}`);
    const column = SORT_COLUMNS[sort.replace(/^-/, '')];
    return applyKeyset(qb, { column, idColumn: 'u.id', desc: sort.startsWith('-') }, after)
      .limit(limit)
      .getMany();
  }

  /** Which of `ids` meet `condition` (an SQL condition over `u.id` from AccountCounts). */
  async meeting(ids: string[], condition: string): Promise<Set<string>> {
    if (!ids.length || condition === 'FALSE') return new Set();
    // sql-safe: the condition is a constant fragment registered in code (AccountCounts); ids are bound.
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT u.id FROM users u WHERE u.id = ANY($1::uuid[]) AND ${condition}`,
      [ids],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** Live sessions and device tokens, the last sign-in, a lock in force now, a pending new address. */
  async facts(userId: string, lockoutSubject: string, now: Date, idleSince: Date): Promise<UserFacts> {
    const rows: {
      sessions: string;
      devices: string;
      last_session: Date | null;
      last_network: Date | null;
      locked: boolean;
      pending_email: string | null;
    }[] = await this.dataSource.query(
      `SELECT
         (SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND last_seen_at > $3) AS sessions,
         (SELECT count(*) FROM device_tokens WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2) AS devices,
         (SELECT max(created_at) FROM sessions WHERE user_id = $1) AS last_session,
         (SELECT max(last_success_at) FROM known_sources WHERE user_id = $1) AS last_network,
         EXISTS (SELECT 1 FROM login_attempts WHERE (subject = $4 OR subject LIKE $4 || '#%') AND locked_until > $2) AS locked,
         (SELECT new_email FROM email_tokens WHERE user_id = $1 AND purpose = 'change_email' AND used_at IS NULL
            AND expires_at > $2 ORDER BY created_at DESC LIMIT 1) AS pending_email`,
      [userId, now, idleSince, lockoutSubject],
    );
    const r = rows[0];
    const times = [r.last_session, r.last_network].filter((d): d is Date => !!d);
    return {
      sessions: Number(r.sessions),
      devices: Number(r.devices),
      lastSignInAt: times.length ? new Date(Math.max(...times.map((d) => d.getTime()))) : null,
      locked: r.locked,
      pendingEmail: r.pending_email,
    };
  }

  /** Unlock: every lockout counter of the subject (its other factors' too); answers how many there were. */
  async clearLockout(em: EntityManager, lockoutSubject: string): Promise<number> {
    const result: unknown = await em.query(
      `DELETE FROM login_attempts WHERE subject = $1 OR subject LIKE $1 || '#%' RETURNING subject`,
      [lockoutSubject],
    );
    return returnedRows(result).length;
  }
}
