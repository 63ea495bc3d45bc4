import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Per-key, per-day, per-outcome request counts, written in batches by the usage recorder. */
@Entity({ name: 'api_key_usage_daily' })
export class ApiKeyUsageDaily {
  @PrimaryColumn({ name: 'key_id', type: 'uuid' })
  keyId!: string;

  @PrimaryColumn({ type: 'date' })
  day!: string;

  @PrimaryColumn({ type: 'varchar', length: 24 })
  outcome!: string;

  @Column({ type: 'bigint', transformer: { from: (v: string) => Number(v), to: (v: number) => v } })
  count!: number;
}

/** Networks (/24 IPv4, /64 IPv6) a key has been used from; a new one is notified once. */
@Entity({ name: 'api_key_networks' })
export class ApiKeyNetwork {
  @PrimaryColumn({ name: 'key_id', type: 'uuid' })
  keyId!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  network!: string;

  @Column({ name: 'first_seen_at', type: 'timestamptz' })
  firstSeenAt!: Date;
}
