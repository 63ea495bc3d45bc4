import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { KeyEnvironment } from '../key-format';

export const API_KEY_STATUSES = ['active', 'rotating', 'revoked', 'expired'] as const;
export type ApiKeyStatus = (typeof API_KEY_STATUSES)[number];
export const QUOTA_REFILL_INTERVALS = ['day', 'month'] as const;
export type QuotaRefillInterval = (typeof QUOTA_REFILL_INTERVALS)[number];

const bigintAsNumber = { from: (v: string | null) => (v === null ? 0 : Number(v)), to: (v: number) => v };

/** An API key: the secret is never stored, only a PHC-style hash of the whole key. Revoked rows stay as tombstones. */
@Entity({ name: 'api_keys' })
@Index('idx_api_keys_owner', ['ownerId', 'status'])
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'key_id', type: 'varchar', length: 16, unique: true })
  keyId!: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 8 })
  environment!: KeyEnvironment;

  @Column({ type: 'varchar', length: 255 })
  hash!: string;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ name: 'ip_allowlist', type: 'text', array: true })
  ipAllowlist!: string[];

  @Column({ name: 'rate_limit', type: 'int', nullable: true })
  rateLimit!: number | null;

  @Column({ name: 'rate_window_seconds', type: 'int', nullable: true })
  rateWindowSeconds!: number | null;

  @Column({ name: 'quota_remaining', type: 'int', nullable: true })
  quotaRemaining!: number | null;

  @Column({ name: 'quota_refill_amount', type: 'int', nullable: true })
  quotaRefillAmount!: number | null;

  @Column({ name: 'quota_refill_interval', type: 'varchar', length: 8, nullable: true })
  quotaRefillInterval!: QuotaRefillInterval | null;

  @Column({ name: 'quota_refilled_at', type: 'timestamptz', nullable: true })
  quotaRefilledAt!: Date | null;

  @Column({ type: 'varchar', length: 16 })
  status!: ApiKeyStatus;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'grace_ends_at', type: 'timestamptz', nullable: true })
  graceEndsAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 32, nullable: true })
  revokedReason!: string | null;

  @Column({ name: 'rotated_from', type: 'uuid', nullable: true })
  rotatedFrom!: string | null;

  @Column({ name: 'rotated_to', type: 'uuid', nullable: true })
  rotatedTo!: string | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'last_used_ip', type: 'varchar', length: 45, nullable: true })
  lastUsedIp!: string | null;

  /** Set when lastUsedIp was reported by a caller of POST /v1/keys/verify: `key:<id>` or `user:<id>`. */
  @Column({ name: 'last_used_ip_reported_by', type: 'varchar', length: 64, nullable: true })
  lastUsedIpReportedBy!: string | null;

  @Column({ name: 'total_requests', type: 'bigint', transformer: bigintAsNumber })
  totalRequests!: number;

  @Column({ name: 'expiry_warned_at', type: 'timestamptz', nullable: true })
  expiryWarnedAt!: Date | null;
}
