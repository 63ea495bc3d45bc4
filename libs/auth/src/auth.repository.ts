import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { returnedRows } from '@app/core';
import { DataSource, EntityManager } from 'typeorm';
import { EmailToken, EmailTokenPurpose } from './entities/email-token.entity';
import { User } from './entities/user.entity';

/** Whose attempts are counted: an account, or the decoy row standing in for an address without one (by its SHA-256). */
export type LockoutSubject = { userId: string } | { addressHash: Buffer };

/** The lockout columns live on `users` and, with the same names, on `login_decoys`. */
function lockoutRow(subject: LockoutSubject): { table: string; key: string; value: string | Buffer } {
  return 'userId' in subject
    ? { table: 'users', key: 'id', value: subject.userId }
    : { table: 'login_decoys', key: 'address_hash', value: subject.addressHash };
}

export interface LockoutRules {
  maxAttempts: number;
  windowMinutes: number;
  lockMinutes: number;
}

/** Users, one-time email tokens and per-IP login throttles. All counters change in single atomic statements. */
@Injectable()
export class AuthRepository {
  constructor(@InjectDataSource() readonly dataSource: DataSource) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(fn);
  }

  findByEmail(email: string): Promise<User | null> {
    return this.dataSource.getRepository(User).findOneBy({ email });
  }

  findById(id: string, em: EntityManager = this.dataSource.manager): Promise<User | null> {
    return em.getRepository(User).findOneBy({ id });
  }

  async insertUser(em: EntityManager, user: Partial<User>): Promise<User> {
    return em.getRepository(User).save(em.getRepository(User).create(user));
  }

  async existsEmailOrUsername(
    em: EntityManager,
    email: string,
    username: string,
  ): Promise<{ email: boolean; username: boolean }> {
    const rows: { email: string; username: string }[] = await em.query(
      'SELECT email, username FROM users WHERE email = $1 OR username = $2',
      [email, username],
    );
    return { email: rows.some((r) => r.email === email), username: rows.some((r) => r.username === username) };
  }

  /**
   * Takes one login attempt for the account, atomically, before any password check. Attempts in flight count like
   * failures, so at most `maxAttempts` verifications can run in a window; a success resets the count.
   * Answers `locked` while a lock is in force, `busy` when the limit is reached by attempts still being verified
   * (the caller waits briefly and asks again), or the attempt number.
   */
  async reserveAttempt(
    subject: LockoutSubject,
    now: Date,
    rules: LockoutRules,
  ): Promise<{ attempt: number } | 'locked' | 'busy'> {
    const { table, key, value } = lockoutRow(subject);
    // `reset` is computed from u.* inside the UPDATE: when parallel attempts queue on the row lock, PostgreSQL
    // re-reads the row for each and re-evaluates these expressions, so every attempt sees the previous one's count.
    const reset = `(u.failed_window_start IS NULL OR u.failed_window_start <= $2::timestamptz - make_interval(mins => $3)
                   OR (u.locked_until IS NOT NULL AND u.locked_until <= $2::timestamptz))`;
    const count = `failed_attempts = CASE WHEN ${reset} THEN 1 ELSE u.failed_attempts + 1 END,
         failed_window_start = CASE WHEN ${reset} THEN $2::timestamptz ELSE u.failed_window_start END,
         locked_until = CASE WHEN ${reset} THEN NULL ELSE u.locked_until END`;
    const open = `(u.locked_until IS NULL OR u.locked_until <= $2::timestamptz) AND (${reset} OR u.failed_attempts < $4)`;
    // An account's row exists; an address's decoy row is made by its first attempt, in the same one statement.
    // sql-safe: `reset`, `count` and `open` are the constant SQL fragments above; the values are bind parameters.
    const sql =
      'userId' in subject
        ? `UPDATE users u SET ${count} WHERE u.id = $1 AND ${open} RETURNING u.failed_attempts`
        : `INSERT INTO login_decoys AS u (address_hash, failed_attempts, failed_window_start) VALUES ($1, 1, $2::timestamptz)
         ON CONFLICT (address_hash) DO UPDATE SET ${count} WHERE ${open} RETURNING u.failed_attempts`;
    const result: unknown = await this.dataSource.query(sql, [value, now, rules.windowMinutes, rules.maxAttempts]);
    const row = returnedRows<{ failed_attempts: number }>(result)[0];
    if (row) return { attempt: row.failed_attempts };
    // sql-safe: `table`/`key` are one of two constant pairs (lockoutRow).
    const state: { locked: boolean }[] = await this.dataSource.query(
      `SELECT (locked_until IS NOT NULL AND locked_until > $2) AS locked FROM ${table} WHERE ${key} = $1`,
      [value, now],
    );
    return state[0]?.locked ? 'locked' : 'busy';
  }

  /** After a failed verification: lock the account if the limit is reached; true only for the call that locked it. */
  async lockIfLimitReached(
    subject: LockoutSubject,
    now: Date,
    rules: LockoutRules,
    em: EntityManager = this.dataSource.manager,
  ): Promise<boolean> {
    const { table, key, value } = lockoutRow(subject);
    // sql-safe: `table`/`key` are one of two constant pairs (lockoutRow); the values are bind parameters.
    const result: unknown = await em.query(
      `UPDATE ${table} SET locked_until = $2::timestamptz + make_interval(mins => $4)
       WHERE ${key} = $1 AND failed_attempts >= $3 AND (locked_until IS NULL OR locked_until <= $2::timestamptz)
       RETURNING ${key}`,
      [value, now, rules.maxAttempts, rules.lockMinutes],
    );
    return returnedRows(result).length > 0;
  }

  async clearAttempts(userId: string, em: EntityManager = this.dataSource.manager): Promise<void> {
    await em.query(
      'UPDATE users SET failed_attempts = 0, failed_window_start = NULL, locked_until = NULL WHERE id = $1',
      [userId],
    );
  }

  /** The user's "has a second factor" flag (libs/mfa keeps it with its factors, in their transaction). */
  async setMfaEnabled(em: EntityManager, userId: string, enabled: boolean): Promise<void> {
    await em.query('UPDATE users SET mfa_enabled = $2 WHERE id = $1', [userId, enabled]);
  }

  /** Locks the user row and answers its current hash (to detect a password change that raced a login). */
  async lockPasswordHash(em: EntityManager, userId: string): Promise<string | undefined> {
    const rows: { password_hash: string }[] = await em.query(
      'SELECT password_hash FROM users WHERE id = $1 FOR UPDATE',
      [userId],
    );
    return rows[0]?.password_hash;
  }

  /** Ends every outstanding reset link of a user (after a change or a reset). */
  async expireResetTokens(em: EntityManager, userId: string, now: Date): Promise<void> {
    await em.query(
      `UPDATE email_tokens SET used_at = $2 WHERE user_id = $1 AND purpose = 'reset_password' AND used_at IS NULL`,
      [userId, now],
    );
  }

  async updatePasswordHash(em: EntityManager, userId: string, hash: string, changedAt?: Date): Promise<void> {
    const set: Partial<User> = { passwordHash: hash };
    if (changedAt) set.passwordChangedAt = changedAt;
    await em.getRepository(User).update({ id: userId }, set);
  }

  /** Per-IP failure counter with growing delays past the threshold. */
  async recordIpFailure(ip: string, now: Date, windowMinutes: number, threshold: number): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO login_throttles (ip, failures, window_start, blocked_until) VALUES ($1, 1, $2, NULL)
       ON CONFLICT (ip) DO UPDATE SET
         failures = CASE WHEN login_throttles.window_start <= $2::timestamptz - make_interval(mins => $3) THEN 1 ELSE login_throttles.failures + 1 END,
         window_start = CASE WHEN login_throttles.window_start <= $2::timestamptz - make_interval(mins => $3) THEN $2::timestamptz ELSE login_throttles.window_start END,
         blocked_until = CASE WHEN login_throttles.window_start > $2::timestamptz - make_interval(mins => $3) AND login_throttles.failures + 1 > $4
                              THEN $2::timestamptz + make_interval(secs => LEAST(900, power(2, LEAST(login_throttles.failures + 1 - $4, 10))::int))
                              ELSE NULL END`,
      [ip, now, windowMinutes, threshold],
    );
  }

  async ipBlockedUntil(ip: string, now: Date): Promise<Date | undefined> {
    const rows: { blocked_until: Date | null }[] = await this.dataSource.query(
      'SELECT blocked_until FROM login_throttles WHERE ip = $1',
      [ip],
    );
    const until = rows[0]?.blocked_until;
    return until && until > now ? until : undefined;
  }

  async insertEmailToken(em: EntityManager, token: Partial<EmailToken>): Promise<void> {
    await em.getRepository(EmailToken).insert(token as EmailToken);
  }

  /** Marks a token used and answers its user, in one statement: a token works once. */
  async consumeEmailToken(
    em: EntityManager,
    hash: string,
    purpose: EmailTokenPurpose,
    now: Date,
  ): Promise<string | undefined> {
    const result: unknown = await em.query(
      `UPDATE email_tokens SET used_at = $3 WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING user_id`,
      [hash, purpose, now],
    );
    return returnedRows<{ user_id: string }>(result)[0]?.user_id;
  }

  async setEmailVerified(em: EntityManager, userId: string, at: Date): Promise<void> {
    await em.getRepository(User).update({ id: userId }, { emailVerifiedAt: at });
  }

  async setScopes(em: EntityManager, userId: string, scopes: string[]): Promise<void> {
    await em.getRepository(User).update({ id: userId }, { scopes });
  }

  async setDisabled(em: EntityManager, userId: string, at: Date | null): Promise<void> {
    await em.getRepository(User).update({ id: userId }, { disabledAt: at });
  }
}
