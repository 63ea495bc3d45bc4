import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Encryptions made under each key version (NIST SP 800-38D: at most 2^32 with random 96-bit IVs per key). */
@Entity({ name: 'encryption_counters' })
export class EncryptionCounterRow {
  @PrimaryColumn({ name: 'key_version', type: 'int' })
  keyVersion!: number;

  @Column({ type: 'bigint', transformer: { from: (v: string) => Number(v), to: (v: number) => v } })
  encryptions!: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
