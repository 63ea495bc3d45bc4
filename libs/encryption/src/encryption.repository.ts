import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
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

  async retiredThrough(): Promise<number> {
    const rows: { retired_through: number }[] = await this.dataSource.query(
      'SELECT retired_through FROM keyring_state WHERE id = 1',
    );
    return rows[0]?.retired_through ?? 0;
  }

  async retireThrough(version: number, em: EntityManager = this.dataSource.manager): Promise<void> {
    await em.query(
      'UPDATE keyring_state SET retired_through = GREATEST(retired_through, $1), updated_at = now() WHERE id = 1',
      [version],
    );
  }

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(fn);
  }

  all(): Promise<EncryptionCounterRow[]> {
    return this.dataSource.getRepository(EncryptionCounterRow).find({ order: { keyVersion: 'ASC' } });
  }
}
