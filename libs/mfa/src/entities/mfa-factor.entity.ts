import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type FactorKind = 'totp' | 'webauthn';

/**
 * A second factor of a user. TOTP: the secret sealed with the keyring (purpose `mfa-totp`, AAD bound to user and
 * factor) and the last time step accepted (a code works once, across instances). Passkey: the credential id, public
 * key and signature counter. Unconfirmed until its first code (TOTP) or registration (passkey) is proven.
 */
@Entity({ name: 'mfa_factors' })
@Index('idx_mfa_factors_user', ['userId'])
export class MfaFactor {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: FactorKind;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ name: 'secret_ct', type: 'text', nullable: true })
  secretCiphertext!: string | null;

  @Column({ name: 'key_version', type: 'int', nullable: true })
  keyVersion!: number | null;

  /** The TOTP time step last accepted (bigint: read as a string by pg, kept as one here). */
  @Column({ name: 'last_used_step', type: 'bigint', nullable: true })
  lastUsedStep!: string | null;

  @Column({ name: 'credential_id', type: 'varchar', length: 1400, nullable: true })
  credentialId!: string | null;

  @Column({ name: 'public_key', type: 'text', nullable: true })
  publicKey!: string | null;

  @Column({ name: 'sign_count', type: 'bigint', default: 0 })
  signCount!: string;

  @Column({ type: 'text', array: true, nullable: true })
  transports!: string[] | null;

  @Column({ name: 'confirmed_at', type: 'timestamptz', nullable: true })
  confirmedAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;
}
