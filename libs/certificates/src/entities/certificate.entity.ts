import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { CertificateDetails } from '../certificate-parser';
import type { CheckStatus } from '../certificate-checks';

export const CERTIFICATE_SOURCES = ['pem', 'file', 'endpoint'] as const;
export type CertificateSource = (typeof CERTIFICATE_SOURCES)[number];

/** One monitored certificate (chain): where it comes from and what its latest check saw. Nothing here is secret. */
@Entity({ name: 'certificates' })
export class Certificate {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Who added it; null for the service's own (the development leaf). */
  @Column({ name: 'owner_id', type: 'uuid', nullable: true })
  ownerId!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  label!: string | null;

  @Column({ name: 'source_type', type: 'text' })
  sourceType!: CertificateSource;

  /** What makes two entries the same certificate source (per owner): endpoint, path or leaf fingerprint. */
  @Column({ name: 'source_key', type: 'text' })
  sourceKey!: string;

  @Column({ type: 'text', nullable: true })
  pem!: string | null;

  @Column({ type: 'text', nullable: true })
  path!: string | null;

  @Column({ type: 'text', nullable: true })
  host!: string | null;

  @Column({ type: 'int', nullable: true })
  port!: number | null;

  @Column({ type: 'text', nullable: true })
  servername!: string | null;

  /** The name the leaf must cover: an endpoint's servername or host, or what the caller gave for other sources. */
  @Column({ name: 'expected_host', type: 'text', nullable: true })
  expectedHost!: string | null;

  @Column({ type: 'text', nullable: true })
  status!: CheckStatus | null;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason!: string | null;

  @Column({ name: 'fingerprint_sha256', type: 'text', nullable: true })
  fingerprintSha256!: string | null;

  @Column({ type: 'text', nullable: true })
  subject!: string | null;

  @Column({ name: 'not_after', type: 'timestamptz', nullable: true })
  notAfter!: Date | null;

  /** Parsed details of every certificate of the chain, leaf first. */
  @Column({ type: 'jsonb', default: () => `'[]'` })
  chain!: CertificateDetails[];

  @Column({ name: 'last_checked_at', type: 'timestamptz', nullable: true })
  lastCheckedAt!: Date | null;

  /** The state last alerted on: alerts fire when a check is worse than this (deduplication). */
  @Column({ name: 'alert_state', type: 'text', default: 'OK' })
  alertState!: CheckStatus;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
