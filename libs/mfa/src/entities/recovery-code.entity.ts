import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One recovery code: its Argon2id hash (a code has 60 bits, too few for a fast hash), spent once. */
@Entity({ name: 'mfa_recovery_codes' })
@Index('idx_mfa_recovery_codes_user', ['userId'])
export class RecoveryCode {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'code_hash', type: 'varchar', length: 255 })
  codeHash!: string;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
