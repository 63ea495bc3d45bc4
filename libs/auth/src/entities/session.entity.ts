import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A login session. Only the SHA-256 of its token is stored. */
@Entity({ name: 'sessions' })
@Index('idx_sessions_user', ['userId', 'createdAt'])
export class Session {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'token_hash', type: 'char', length: 64, unique: true })
  tokenHash!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** When the session last proved the password: its login, or POST /v1/auth/reauthenticate (step-up). */
  @Column({ name: 'authenticated_at', type: 'timestamptz' })
  authenticatedAt!: Date;

  /** Authenticator assurance: `aal1` (password) or `aal2` (password and a second factor). */
  @Column({ type: 'varchar', length: 4, default: 'aal1' })
  aal!: 'aal1' | 'aal2';

  /** When the session last proved a second factor (login with one, or reauthenticate with one); null: never. */
  @Column({ name: 'second_factor_at', type: 'timestamptz', nullable: true })
  secondFactorAt!: Date | null;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 300, nullable: true })
  userAgent!: string | null;

  /** The device token the session signed in with (its source for password checks while signed in). */
  @Column({ name: 'device_id', type: 'uuid', nullable: true })
  deviceId!: string | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
