import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { returnedRows } from '@app/core';
import { DataSource, EntityManager } from 'typeorm';
import { EmailToken, EmailTokenPurpose } from './entities/email-token.entity';
import { User } from './entities/user.entity';

/** Users, one-time email tokens and per-IP login throttles (the lockout counters: LockoutRepository). All counters change in single atomic statements. */
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

  /** Consumes a `change_email` token (once) and answers its user and new address. */
  async consumeEmailChange(
    em: EntityManager,
    hash: string,
    now: Date,
  ): Promise<{ userId: string; newEmail: string } | undefined> {
    const result: unknown = await em.query(
      `UPDATE email_tokens SET used_at = $2 WHERE token_hash = $1 AND purpose = 'change_email' AND used_at IS NULL
         AND expires_at > $2 RETURNING user_id, new_email`,
      [hash, now],
    );
    const row = returnedRows<{ user_id: string; new_email: string }>(result)[0];
    return row && { userId: row.user_id, newEmail: row.new_email };
  }

  /** Ends every outstanding email-change link of a user (a newer request or a completed change replaces them). */
  async expireEmailChanges(em: EntityManager, userId: string, now: Date): Promise<void> {
    await em.query(
      `UPDATE email_tokens SET used_at = $2 WHERE user_id = $1 AND purpose = 'change_email' AND used_at IS NULL`,
      [userId, now],
    );
  }

  /** The account's new, now verified, address. */
  async setEmail(em: EntityManager, userId: string, email: string, verifiedAt: Date): Promise<void> {
    await em.getRepository(User).update({ id: userId }, { email, emailVerifiedAt: verifiedAt });
  }

  /** Locks the user row (serialises changes of one account) and answers it. */
  async lockUser(em: EntityManager, userId: string): Promise<User | null> {
    return em.getRepository(User).findOne({ where: { id: userId }, lock: { mode: 'pessimistic_write' } });
  }
}
