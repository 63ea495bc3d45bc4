import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EncryptionCounterRow } from './entities/encryption-counter.entity';

@Injectable()
export class EncryptionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Adds a batch of counts in one statement and answers the new totals. */
  async addCounts(counts: Map<number, number>, now: Date): Promise<Map<number, number>> {
    const versions = [...counts.keys()];
    const rows: { key_version: number; encryptions: string }[] = await this.dataSource.query(
      `INSERT INTO encryption_counters (key_version, encryptions, updated_at)
       SELECT v, n, $3 FROM unnest($1::int[], $2::bigint[]) AS t(v, n)
       ON CONFLICT (key_version) DO UPDATE SET encryptions = encryption_counters.encryptions + EXCLUDED.encryptions, updated_at = EXCLUDED.updated_at
       RETURNING key_version, encryptions::text`,
      [versions, versions.map((v) => counts.get(v)), now],
    );
    return new Map(rows.map((r) => [r.key_version, Number(r.encryptions)]));
  }

  all(): Promise<EncryptionCounterRow[]> {
    return this.dataSource.getRepository(EncryptionCounterRow).find({ order: { keyVersion: 'ASC' } });
  }
}
