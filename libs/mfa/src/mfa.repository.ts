import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { returnedRows } from '@app/core';
import { MfaFactor } from './entities/mfa-factor.entity';
import { MfaLoginToken } from './entities/mfa-login-token.entity';
import { RecoveryCode } from './entities/recovery-code.entity';

@Injectable()
export class MfaRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(fn);
  }

  /** Serialises changes to one user's factors for the rest of the transaction (enrol, confirm, delete, reset). */
  async lockUser(em: EntityManager, userId: string): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtextextended('mfa:' || $1, 0))`, [userId]);
  }

  factors(userId: string, em: EntityManager = this.dataSource.manager): Promise<MfaFactor[]> {
    return em.getRepository(MfaFactor).find({ where: { userId }, order: { createdAt: 'ASC' } });
  }

  confirmedTotp(userId: string): Promise<MfaFactor | null> {
    return this.dataSource
      .getRepository(MfaFactor)
      .createQueryBuilder('f')
      .where(`f.userId = :userId AND f.kind = 'totp' AND f.confirmedAt IS NOT NULL`, { userId })
      .getOne();
  }

  async insertFactor(em: EntityManager, factor: MfaFactor): Promise<void> {
    await em.getRepository(MfaFactor).insert(factor);
  }

  /** Drops the user's unconfirmed TOTP enrolments (a new one replaces them). */
  async deletePendingTotp(em: EntityManager, userId: string): Promise<void> {
    await em.query(`DELETE FROM mfa_factors WHERE user_id = $1 AND kind = 'totp' AND confirmed_at IS NULL`, [userId]);
  }

  async confirm(em: EntityManager, id: string, now: Date): Promise<void> {
    await em.query('UPDATE mfa_factors SET confirmed_at = $2 WHERE id = $1', [id, now]);
  }

  /**
   * Spends a TOTP time step: succeeds only when it is later than every step used before (one statement, so two
   * instances receiving the same code cannot both accept it; an older code of the window is refused too).
   */
  async useTotpStep(
    id: string,
    step: number,
    now: Date,
    em: EntityManager = this.dataSource.manager,
  ): Promise<boolean> {
    const result: unknown = await em.query(
      `UPDATE mfa_factors SET last_used_step = $2, last_used_at = $3
       WHERE id = $1 AND (last_used_step IS NULL OR last_used_step < $2) RETURNING id`,
      [id, step, now],
    );
    return returnedRows(result).length > 0;
  }

  /** Deletes one of the user's factors; answers it (another user's id finds nothing). */
  async deleteFactor(em: EntityManager, userId: string, id: string): Promise<MfaFactor | undefined> {
    const row = await em.getRepository(MfaFactor).findOneBy({ id, userId });
    if (!row) return undefined;
    await em.getRepository(MfaFactor).delete({ id, userId });
    return row;
  }

  async countConfirmedTotp(em: EntityManager, userId: string): Promise<number> {
    const rows: { n: string }[] = await em.query(
      `SELECT count(*)::text AS n FROM mfa_factors WHERE user_id = $1 AND kind = 'totp' AND confirmed_at IS NOT NULL`,
      [userId],
    );
    return Number(rows[0].n);
  }

  async countConfirmed(em: EntityManager, userId: string): Promise<number> {
    const rows: { n: string }[] = await em.query(
      'SELECT count(*)::text AS n FROM mfa_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL',
      [userId],
    );
    return Number(rows[0].n);
  }

  /** Every factor and recovery code of the user (admin reset, last factor removed); answers how many factors. */
  async deleteAll(em: EntityManager, userId: string): Promise<number> {
    await em.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
    const result: unknown = await em.query('DELETE FROM mfa_factors WHERE user_id = $1 RETURNING id', [userId]);
    return returnedRows(result).length;
  }

  // Recovery codes

  async replaceRecoveryCodes(em: EntityManager, userId: string, rows: RecoveryCode[]): Promise<void> {
    await em.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
    await em.getRepository(RecoveryCode).insert(rows);
  }

  unusedRecoveryCodes(userId: string): Promise<RecoveryCode[]> {
    return this.dataSource.getRepository(RecoveryCode).find({ where: { userId, usedAt: IsNull() } });
  }

  async countUnusedRecoveryCodes(userId: string, em: EntityManager = this.dataSource.manager): Promise<number> {
    return em.getRepository(RecoveryCode).countBy({ userId, usedAt: IsNull() });
  }

  /** Spends a recovery code once (a parallel use of the same code finds it spent). */
  async useRecoveryCode(id: string, now: Date, em: EntityManager = this.dataSource.manager): Promise<boolean> {
    const result: unknown = await em.query(
      'UPDATE mfa_recovery_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL RETURNING id',
      [id, now],
    );
    return returnedRows(result).length > 0;
  }

  // Login tokens

  async insertLoginToken(row: MfaLoginToken): Promise<void> {
    await this.dataSource.getRepository(MfaLoginToken).insert(row);
  }

  /** A live (unused, unexpired) login token by its digest. */
  async liveLoginToken(tokenHash: string, now: Date): Promise<MfaLoginToken | undefined> {
    const row = await this.dataSource.getRepository(MfaLoginToken).findOneBy({ tokenHash, usedAt: IsNull() });
    return row && row.expiresAt > now ? row : undefined;
  }

  /** Spends a login token once. */
  async useLoginToken(tokenHash: string, now: Date): Promise<boolean> {
    const result: unknown = await this.dataSource.query(
      'UPDATE mfa_login_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING token_hash',
      [tokenHash, now],
    );
    return returnedRows(result).length > 0;
  }

  /** Spent or expired login tokens and WebAuthn challenges older than `before`. */
  async purge(before: Date): Promise<number> {
    const a: unknown = await this.dataSource.query(
      'DELETE FROM mfa_login_tokens WHERE expires_at < $1 RETURNING token_hash',
      [before],
    );
    const b: unknown = await this.dataSource.query(
      'DELETE FROM webauthn_challenges WHERE expires_at < $1 RETURNING challenge',
      [before],
    );
    return returnedRows(a).length + returnedRows(b).length;
  }

  // Rewrap (TOTP secrets under older key versions)

  async countByVersion(): Promise<Map<number, number>> {
    const rows: { v: number; n: string }[] = await this.dataSource.query(
      'SELECT key_version AS v, count(*)::text AS n FROM mfa_factors WHERE secret_ct IS NOT NULL GROUP BY key_version',
    );
    return new Map(rows.map((r) => [Number(r.v), Number(r.n)]));
  }

  lockSecretsBelow(em: EntityManager, version: number, limit: number, skip: string[]): Promise<MfaFactor[]> {
    const qb = em
      .getRepository(MfaFactor)
      .createQueryBuilder('f')
      .where('f.secretCiphertext IS NOT NULL AND f.keyVersion < :version', { version });
    if (skip.length) qb.andWhere('f.id NOT IN (:...skip)', { skip });
    return qb.orderBy('f.id').limit(limit).setLock('pessimistic_write').setOnLocked('skip_locked').getMany();
  }

  async updateSecret(em: EntityManager, id: string, ciphertext: string, keyVersion: number): Promise<void> {
    await em.query('UPDATE mfa_factors SET secret_ct = $2, key_version = $3 WHERE id = $1', [
      id,
      ciphertext,
      keyVersion,
    ]);
  }

  // WebAuthn

  async insertChallenge(row: {
    challenge: string;
    userId: string | null;
    purpose: 'register' | 'authenticate';
    createdAt: Date;
    expiresAt: Date;
  }): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO webauthn_challenges (challenge, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
      [row.challenge, row.userId, row.purpose, row.createdAt, row.expiresAt],
    );
  }

  /**
   * Spends a challenge once, on any instance: it must be live, of this purpose and for this user (null: a
   * passwordless sign-in, where the user is not known yet).
   */
  async useChallenge(
    challenge: string,
    purpose: 'register' | 'authenticate',
    userId: string | null,
    now: Date,
  ): Promise<boolean> {
    const result: unknown = await this.dataSource.query(
      `UPDATE webauthn_challenges SET used_at = $4
       WHERE challenge = $1 AND purpose = $2 AND user_id IS NOT DISTINCT FROM $3::uuid AND used_at IS NULL AND expires_at > $4
       RETURNING challenge`,
      [challenge, purpose, userId, now],
    );
    return returnedRows(result).length > 0;
  }

  passkeyByCredentialId(credentialId: string): Promise<MfaFactor | null> {
    return this.dataSource.getRepository(MfaFactor).findOneBy({ credentialId, kind: 'webauthn' });
  }

  /**
   * Records a verified assertion's counter: only forward (a counter that did not grow, when the authenticator keeps
   * one, means a cloned authenticator or a replay and is refused by the caller; this UPDATE also refuses a race).
   */
  async advanceSignCount(id: string, counter: number, now: Date): Promise<boolean> {
    const result: unknown = await this.dataSource.query(
      `UPDATE mfa_factors SET sign_count = $2, last_used_at = $3
       WHERE id = $1 AND (sign_count < $2 OR ($2 = 0 AND sign_count = 0)) RETURNING id`,
      [id, counter, now],
    );
    return returnedRows(result).length > 0;
  }

  async rename(userId: string, id: string, name: string): Promise<MfaFactor | null> {
    await this.dataSource.query('UPDATE mfa_factors SET name = $3 WHERE id = $1 AND user_id = $2', [id, userId, name]);
    return this.dataSource.getRepository(MfaFactor).findOneBy({ id, userId });
  }
}
