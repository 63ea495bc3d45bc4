import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import type { AuditActorType, AuditOutcome } from '@app/core';

// The vocabulary is core's (AuditTrail, which every context writes through); the table stores it.
export { AUDIT_ACTOR_TYPES, AUDIT_OUTCOMES } from '@app/core';
export type { AuditActorType, AuditOutcome } from '@app/core';

/**
 * Append-only security event log. Each row's `hash` is SHA-256 over the previous row's hash and this row's
 * canonical JSON, so any edit or deletion breaks the chain from that row on. The app role holds no UPDATE/DELETE.
 */
@Entity({ name: 'audit_events' })
@Index('idx_audit_events_actor', ['actorId', 'id'])
@Index('idx_audit_events_action', ['action', 'id'])
@Index('idx_audit_events_target', ['targetType', 'targetId', 'id'])
export class AuditEvent {
  @PrimaryColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'actor_type', type: 'varchar', length: 16 })
  actorType!: AuditActorType;

  @Column({ name: 'actor_id', type: 'varchar', length: 64, nullable: true })
  actorId!: string | null;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ name: 'target_type', type: 'varchar', length: 32, nullable: true })
  targetType!: string | null;

  @Column({ name: 'target_id', type: 'varchar', length: 64, nullable: true })
  targetId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  outcome!: AuditOutcome;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 300, nullable: true })
  userAgent!: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  details!: Record<string, unknown>;

  @Column({ name: 'chain_version', type: 'smallint', default: 1 })
  chainVersion!: number;

  /** Random per row (v2): keeps the digest of personal data from being confirmed by guessing. Cleared on erasure. */
  @Column({ name: 'pii_salt', type: 'varchar', length: 32, nullable: true })
  piiSalt!: string | null;

  @Column({ name: 'pii_digest', type: 'char', length: 64, nullable: true })
  piiDigest!: string | null;

  @Column({ name: 'redacted_at', type: 'timestamptz', nullable: true })
  redactedAt!: Date | null;

  @Column({ name: 'prev_hash', type: 'char', length: 64 })
  prevHash!: string;

  @Column({ type: 'char', length: 64 })
  hash!: string;
}
