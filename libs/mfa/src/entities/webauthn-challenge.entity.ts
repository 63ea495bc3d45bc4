import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A WebAuthn ceremony's challenge: short-lived, single use, shared by every instance (the database is). */
@Entity({ name: 'webauthn_challenges' })
export class WebauthnChallenge {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  challenge!: string;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  purpose!: 'register' | 'authenticate';

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;
}
