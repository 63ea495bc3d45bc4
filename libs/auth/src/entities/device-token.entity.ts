import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A device token: issued at each sign-in (or renewed when the client presented a valid one), kept by the client as a
 * `__Host-device` cookie or sent as `deviceToken`. Only its SHA-256 is stored. A client presenting a valid token of
 * the account counts its failed logins under the device and is not refused for failures from elsewhere.
 */
@Entity({ name: 'device_tokens' })
@Index('idx_device_tokens_user', ['userId', 'lastUsedAt'])
export class DeviceToken {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'token_hash', type: 'char', length: 64, unique: true })
  tokenHash!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz' })
  lastUsedAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  /** When a sign-in with this device last proved a second factor (MFA_REMEMBER_DEVICE_DAYS skips the factor step). */
  @Column({ name: 'second_factor_at', type: 'timestamptz', nullable: true })
  secondFactorAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
