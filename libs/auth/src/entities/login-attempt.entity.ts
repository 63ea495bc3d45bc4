import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Failed-login counters per (subject, source). The subject is an account (`user:<id>`) or, for an address without an
 * (enabled) account, a decoy keyed by the address's SHA-256 (`addr:<hex>`), so both cost the same statements. The
 * source is a device (`device:<id>`), a client network (`net:198.51.100.0/24`), or `untrusted`: the account-wide row
 * every untrusted source also counts on. Rows whose window and lock are over are purged hourly.
 */
@Entity({ name: 'login_attempts' })
export class LoginAttempt {
  @PrimaryColumn({ type: 'varchar', length: 80 })
  subject!: string;

  @PrimaryColumn({ type: 'varchar', length: 80 })
  source!: string;

  @Column({ name: 'failed_attempts', type: 'int', default: 0 })
  failedAttempts!: number;

  @Column({ name: 'failed_window_start', type: 'timestamptz', nullable: true })
  failedWindowStart!: Date | null;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  /** Locks in a row (the account-wide row's lock doubles with each); back to 0 after a quiet day. */
  @Column({ name: 'lock_level', type: 'int', default: 0 })
  lockLevel!: number;
}
