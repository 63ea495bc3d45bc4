import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A client network an account signed in from (the latest few per user): trusted for that account's logins. */
@Entity({ name: 'known_sources' })
export class KnownSource {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  network!: string;

  @Column({ name: 'last_success_at', type: 'timestamptz' })
  lastSuccessAt!: Date;
}
