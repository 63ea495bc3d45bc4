import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Lockout counters for an address with no (enabled) account, one row per address (by SHA-256), made by its first
 * failed login. Such a login reserves and counts its attempt here with the same statement shape, row write and lock
 * states a real account's row gets, so it costs the same time in every state (a read-only miss skipped the WAL flush:
 * ~7 ms faster under load). Rows whose window and lock are over are purged with ended sessions.
 */
@Entity({ name: 'login_decoys' })
export class LoginDecoy {
  @PrimaryColumn({ name: 'address_hash', type: 'bytea' })
  addressHash!: Buffer;

  @Column({ name: 'failed_attempts', type: 'int', default: 0 })
  failedAttempts!: number;

  @Column({ name: 'failed_window_start', type: 'timestamptz', nullable: true })
  failedWindowStart!: Date | null;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;
}
