import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { returnedRows } from '@app/core';
import { DataSource, EntityManager } from 'typeorm';

export interface LockoutRules {
  maxAttempts: number;
  windowMinutes: number;
  /** The first lock's length; each further lock in a row doubles it, up to `maxLockMinutes`. */
  lockMinutes: number;
  maxLockMinutes: number;
}

/** A row of `login_attempts` (subject and source are the keys made by LoginLockout). */
export interface AttemptRow {
  subject: string;
  source: string;
}

/** What a login is trusted by: a valid device token of the account, and whether its network signed in before. */
export interface TrustFacts {
  deviceId: string | null;
  knownNetwork: boolean;
}

/** Newest device tokens and known networks kept per user (older ones are deleted as new ones come). */
export const DEVICE_TOKENS_PER_USER = 20;
export const KNOWN_SOURCES_PER_USER = 10;

/**
 * Failed-login counters per (subject, source), device tokens and known networks. Every counter changes in one
 * atomic statement; an account and a decoy (an address without an account) run the same statements.
 */
@Injectable()
export class LockoutRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(fn);
  }

  /**
   * Takes one attempt on the row, atomically, before any password check (the row is made by its first attempt, in
   * the same statement). Attempts in flight count like failures, so at most `maxAttempts` verifications can run in a
   * window. Answers `locked` while a lock is in force, `busy` when the limit is taken by attempts still being verified
   * (the caller waits briefly and asks again), or the attempt number.
   */
  async reserve(row: AttemptRow, now: Date, rules: LockoutRules): Promise<{ attempt: number } | 'locked' | 'busy'> {
    // `reset` is computed from u.* inside the UPDATE: when parallel attempts queue on the row lock, PostgreSQL
    // re-reads the row for each and re-evaluates these expressions, so every attempt sees the previous one's count.
    const reset = `(u.failed_window_start IS NULL OR u.failed_window_start <= $3::timestamptz - make_interval(mins => $4)
                   OR (u.locked_until IS NOT NULL AND u.locked_until <= $3::timestamptz))`;
    // A lock streak ends after a quiet day (no window begun in the last 24 hours).
    const quiet = `(u.failed_window_start IS NULL OR u.failed_window_start <= $3::timestamptz - interval '1 day')`;
    const open = `(u.locked_until IS NULL OR u.locked_until <= $3::timestamptz) AND (${reset} OR u.failed_attempts < $5)`;
    // sql-safe: `reset`, `quiet` and `open` are the constant SQL fragments above; the values are bind parameters.
    const result: unknown = await this.dataSource.query(
      `INSERT INTO login_attempts AS u (subject, source, failed_attempts, failed_window_start) VALUES ($1, $2, 1, $3::timestamptz)
       ON CONFLICT (subject, source) DO UPDATE SET
         failed_attempts = CASE WHEN ${reset} THEN 1 ELSE u.failed_attempts + 1 END,
         failed_window_start = CASE WHEN ${reset} THEN $3::timestamptz ELSE u.failed_window_start END,
         locked_until = CASE WHEN ${reset} THEN NULL ELSE u.locked_until END,
         lock_level = CASE WHEN ${quiet} THEN 0 ELSE u.lock_level END
       WHERE ${open} RETURNING u.failed_attempts`,
      [row.subject, row.source, now, rules.windowMinutes, rules.maxAttempts],
    );
    const taken = returnedRows<{ failed_attempts: number }>(result)[0];
    if (taken) return { attempt: taken.failed_attempts };
    const state: { locked: boolean }[] = await this.dataSource.query(
      `SELECT (locked_until IS NOT NULL AND locked_until > $3) AS locked FROM login_attempts WHERE subject = $1 AND source = $2`,
      [row.subject, row.source, now],
    );
    return state[0]?.locked ? 'locked' : 'busy';
  }

  /**
   * After a failed attempt: locks the row if its limit is reached, for `lockMinutes × 2^level` (capped). Answers the
   * new lock level (1 for the first lock of a streak) only to the call that locked it, else 0.
   */
  async lockIfLimitReached(row: AttemptRow, now: Date, rules: LockoutRules, em: EntityManager): Promise<number> {
    const result: unknown = await em.query(
      `UPDATE login_attempts
         SET locked_until = $3::timestamptz + make_interval(mins => LEAST($6, $5 * power(2, LEAST(lock_level, 20)))::int),
             lock_level = lock_level + 1
       WHERE subject = $1 AND source = $2 AND failed_attempts >= $4
         AND (locked_until IS NULL OR locked_until <= $3::timestamptz)
       RETURNING lock_level, locked_until`,
      [row.subject, row.source, now, rules.maxAttempts, rules.lockMinutes, rules.maxLockMinutes],
    );
    return returnedRows<{ lock_level: number }>(result)[0]?.lock_level ?? 0;
  }

  /** A success: the source's own failure run ends. */
  async clear(row: AttemptRow, em: EntityManager = this.dataSource.manager): Promise<void> {
    await em.query('DELETE FROM login_attempts WHERE subject = $1 AND source = $2', [row.subject, row.source]);
  }

  /** A success from an untrusted source gives back the attempt it reserved on the account-wide row (nothing more). */
  async release(row: AttemptRow, em: EntityManager): Promise<void> {
    await em.query(
      `UPDATE login_attempts SET failed_attempts = GREATEST(failed_attempts - 1, 0) WHERE subject = $1 AND source = $2`,
      [row.subject, row.source],
    );
  }

  /** Every counter of a subject, its other factors' (`subject#factor`) included (account recovery, erasure). */
  async clearSubject(subject: string, em: EntityManager): Promise<void> {
    await em.query(`DELETE FROM login_attempts WHERE subject = $1 OR subject LIKE $1 || '#%'`, [subject]);
  }

  /**
   * One statement, the same for an account and a decoy (whose made-up user id matches nothing): the device token's id
   * when it is a live token of this user, and whether the network signed in to it within `since`.
   */
  async trust(userId: string, tokenHash: string, network: string, now: Date, since: Date): Promise<TrustFacts> {
    const rows: { device_id: string | null; known: boolean }[] = await this.dataSource.query(
      `SELECT (SELECT id FROM device_tokens WHERE token_hash = $2 AND user_id = $1 AND revoked_at IS NULL AND expires_at > $4) AS device_id,
              EXISTS (SELECT 1 FROM known_sources WHERE user_id = $1 AND network = $3 AND last_success_at > $5) AS known`,
      [userId, tokenHash, network, now, since],
    );
    return { deviceId: rows[0]?.device_id ?? null, knownNetwork: !!rows[0]?.known };
  }

  /** A new device token (its digest); the user's oldest beyond DEVICE_TOKENS_PER_USER are deleted. */
  async insertDevice(
    em: EntityManager,
    userId: string,
    tokenHash: string,
    now: Date,
    expiresAt: Date,
  ): Promise<string> {
    // One statement: the user's other devices beyond the newest (cap − 1) live ones are dropped (revoked ones too),
    // and the new one is added; the DELETE and the INSERT see the same snapshot, so the new row is never dropped.
    const rows: { id: string }[] = await em.query(
      `WITH dropped AS (
         DELETE FROM device_tokens WHERE user_id = $1 AND id NOT IN (
           SELECT id FROM device_tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY last_used_at DESC, id LIMIT $5))
       INSERT INTO device_tokens (user_id, token_hash, created_at, last_used_at, expires_at) VALUES ($1, $2, $3, $3, $4)
       RETURNING id`,
      [userId, tokenHash, now, expiresAt, DEVICE_TOKENS_PER_USER - 1],
    );
    return rows[0].id;
  }

  /** A presented device token signed in again: it lives on for another lifetime. */
  async renewDevice(em: EntityManager, deviceId: string, now: Date, expiresAt: Date): Promise<void> {
    await em.query(`UPDATE device_tokens SET last_used_at = $2, expires_at = $3 WHERE id = $1`, [
      deviceId,
      now,
      expiresAt,
    ]);
  }

  /** A sign-in with this device proved a second factor now. */
  async rememberSecondFactor(em: EntityManager, deviceId: string, now: Date): Promise<void> {
    await em.query('UPDATE device_tokens SET second_factor_at = $2 WHERE id = $1', [deviceId, now]);
  }

  /** When a sign-in with this device last proved a second factor (null: never). */
  async secondFactorAt(deviceId: string): Promise<Date | null> {
    const rows: { second_factor_at: Date | null }[] = await this.dataSource.query(
      'SELECT second_factor_at FROM device_tokens WHERE id = $1',
      [deviceId],
    );
    return rows[0]?.second_factor_at ?? null;
  }

  /** The user's factors changed: no device of theirs skips the factor step any more. */
  async forgetSecondFactors(em: EntityManager, userId: string): Promise<void> {
    await em.query('UPDATE device_tokens SET second_factor_at = NULL WHERE user_id = $1', [userId]);
  }

  /** Remembers the network of a successful sign-in; the user's oldest beyond KNOWN_SOURCES_PER_USER are deleted. */
  async rememberNetwork(em: EntityManager, userId: string, network: string, now: Date): Promise<void> {
    // `xmax = 0`: the row was inserted, not updated; only a new network can push the user past the cap.
    const result: unknown = await em.query(
      `INSERT INTO known_sources (user_id, network, last_success_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, network) DO UPDATE SET last_success_at = GREATEST(known_sources.last_success_at, $3)
       RETURNING (xmax = 0) AS inserted`,
      [userId, network, now],
    );
    if (!returnedRows<{ inserted: boolean }>(result)[0]?.inserted) return;
    await em.query(
      `DELETE FROM known_sources WHERE user_id = $1 AND network NOT IN (
         SELECT network FROM known_sources WHERE user_id = $1 ORDER BY last_success_at DESC, network LIMIT $2)`,
      [userId, KNOWN_SOURCES_PER_USER],
    );
  }

  /** Recovery: every device token of the user (but `keep`) is revoked and every remembered network forgotten. */
  async revokeDevices(em: EntityManager, userId: string, now: Date, keep: string | null): Promise<number> {
    const result: unknown = await em.query(
      `UPDATE device_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL AND id IS DISTINCT FROM $3 RETURNING id`,
      [userId, now, keep],
    );
    await em.query('DELETE FROM known_sources WHERE user_id = $1', [userId]);
    return returnedRows(result).length;
  }

  /** The device a session signed in with (null: none, or an unknown session). */
  async deviceOfSession(sessionId: string): Promise<string | null> {
    const rows: { device_id: string | null }[] = await this.dataSource.query(
      'SELECT device_id FROM sessions WHERE id = $1',
      [sessionId],
    );
    return rows[0]?.device_id ?? null;
  }

  /** For the account export: live device tokens (no digest) and remembered networks. */
  async listForUser(
    userId: string,
    now: Date,
  ): Promise<{
    devices: { id: string; createdAt: Date; lastUsedAt: Date; expiresAt: Date }[];
    networks: { network: string; lastSuccessAt: Date }[];
  }> {
    const devices: { id: string; created_at: Date; last_used_at: Date; expires_at: Date }[] =
      await this.dataSource.query(
        `SELECT id, created_at, last_used_at, expires_at FROM device_tokens
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY last_used_at DESC`,
        [userId, now],
      );
    const networks: { network: string; last_success_at: Date }[] = await this.dataSource.query(
      'SELECT network, last_success_at FROM known_sources WHERE user_id = $1 ORDER BY last_success_at DESC',
      [userId],
    );
    return {
      devices: devices.map((d) => ({
        id: d.id,
        createdAt: d.created_at,
        lastUsedAt: d.last_used_at,
        expiresAt: d.expires_at,
      })),
      networks: networks.map((n) => ({ network: n.network, lastSuccessAt: n.last_success_at })),
    };
  }

  /** Hourly retention: counters whose window began over a day ago and that are not locked; dead device tokens. */
  async purge(now: Date): Promise<{ loginAttempts: number; deviceTokens: number }> {
    const dayAgo = new Date(now.getTime() - 86_400_000);
    const attempts = await this.dataSource.query(
      `DELETE FROM login_attempts WHERE failed_window_start < $1 AND (locked_until IS NULL OR locked_until < $2) RETURNING subject`,
      [dayAgo, now],
    );
    const devices = await this.dataSource.query(
      `DELETE FROM device_tokens WHERE expires_at < $1 OR revoked_at < $1 RETURNING id`,
      [dayAgo],
    );
    return { loginAttempts: returnedRows(attempts).length, deviceTokens: returnedRows(devices).length };
  }
}
