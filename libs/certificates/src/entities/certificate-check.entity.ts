import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { CheckResult, CheckStatus } from '../certificate-checks';

export const CHECK_TRIGGERS = ['create', 'manual', 'schedule'] as const;
export type CheckTrigger = (typeof CHECK_TRIGGERS)[number];

/** One check of a certificate: every check's status and reason, what was seen, and how the peer answered. */
@Entity({ name: 'certificate_checks' })
export class CertificateCheck {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'certificate_id', type: 'uuid' })
  certificateId!: string;

  @Column({ name: 'checked_at', type: 'timestamptz' })
  checkedAt!: Date;

  @Column({ type: 'text' })
  trigger!: CheckTrigger;

  @Column({ type: 'text' })
  status!: CheckStatus;

  @Column({ type: 'jsonb' })
  results!: CheckResult[];

  @Column({ name: 'fingerprint_sha256', type: 'text', nullable: true })
  fingerprintSha256!: string | null;

  /** Negotiated TLS version and cipher (endpoint sources). */
  @Column({ type: 'text', nullable: true })
  protocol!: string | null;

  @Column({ type: 'text', nullable: true })
  cipher!: string | null;
}
