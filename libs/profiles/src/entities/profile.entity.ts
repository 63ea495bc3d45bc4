import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A user's profile. Public fields are stored as they are; SSN, card number and medical information only as
 * AES-256-GCM envelopes bound (AAD) to the user, the field and the key version. `integrityMac` is an HMAC over the
 * canonical public fields, checked on every read; `ssnBlindIndex` a keyed digest of the normalised SSN for lookups.
 */
@Entity({ name: 'profiles' })
@Index('idx_profiles_ssn_blind', ['ssnBlindIndex'])
@Index('idx_profiles_key_version', ['keyVersion'])
export class Profile {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 100, nullable: true })
  displayName!: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  phone!: string | null;

  @Column({ type: 'varchar', length: 300, nullable: true })
  address!: string | null;

  @Column({ name: 'date_of_birth', type: 'date', nullable: true })
  dateOfBirth!: string | null;

  @Column({ name: 'ssn_ct', type: 'text', nullable: true })
  ssnCiphertext!: string | null;

  @Column({ name: 'ssn_last4', type: 'varchar', length: 4, nullable: true })
  ssnLast4!: string | null;

  @Column({ name: 'ssn_blind_index', type: 'varchar', length: 64, nullable: true })
  ssnBlindIndex!: string | null;

  @Column({ name: 'card_ct', type: 'text', nullable: true })
  cardCiphertext!: string | null;

  @Column({ name: 'card_last4', type: 'varchar', length: 4, nullable: true })
  cardLast4!: string | null;

  @Column({ name: 'medical_ct', type: 'text', nullable: true })
  medicalCiphertext!: string | null;

  /** The key version of every envelope in the row (they are written and rewrapped together). */
  @Column({ name: 'key_version', type: 'int' })
  keyVersion!: number;

  @Column({ name: 'integrity_mac', type: 'varchar', length: 80 })
  integrityMac!: string;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
