import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, LessThan } from 'typeorm';
import { Profile } from './entities/profile.entity';

@Injectable()
export class ProfilesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(fn);
  }

  find(userId: string, em: EntityManager = this.dataSource.manager): Promise<Profile | null> {
    return em.getRepository(Profile).findOneBy({ userId });
  }

  /**
   * Serialises writers of one user's profile for the rest of the transaction, also before the row exists: a row lock
   * alone cannot stop two first writes from both inserting (one would fail on the primary key with a 500).
   */
  async lockUser(em: EntityManager, userId: string): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtextextended('profiles:' || $1, 0))`, [userId]);
  }

  findForUpdate(em: EntityManager, userId: string): Promise<Profile | null> {
    return em
      .getRepository(Profile)
      .createQueryBuilder('p')
      .setLock('pessimistic_write')
      .where('p.userId = :userId', { userId })
      .getOne();
  }

  async save(em: EntityManager, row: Profile): Promise<void> {
    await em.getRepository(Profile).save(row);
  }

  findByBlindIndex(candidates: string[]): Promise<Profile[]> {
    return this.dataSource.getRepository(Profile).find({ where: { ssnBlindIndex: In(candidates) }, take: 10 });
  }

  /** Rows whose envelopes are under an older key version, locked (SKIP LOCKED: two rewrap runs share the work). */
  lockBatchBelow(em: EntityManager, version: number, limit: number, skip: string[] = []): Promise<Profile[]> {
    const qb = em.getRepository(Profile).createQueryBuilder('p').where('p.keyVersion < :version', { version });
    if (skip.length) qb.andWhere('p.userId NOT IN (:...skip)', { skip });
    return qb.orderBy('p.userId').limit(limit).setLock('pessimistic_write').setOnLocked('skip_locked').getMany();
  }

  /** Writes re-sealed envelopes (and their MACs and blind indexes) for a whole batch in one statement. */
  async updateSealed(em: EntityManager, rows: Profile[]): Promise<void> {
    if (!rows.length) return;
    const col = <K extends keyof Profile>(k: K) => rows.map((r) => r[k]);
    await em.query(
      `UPDATE profiles p SET ssn_ct = v.ssn_ct, ssn_blind_index = v.ssn_blind_index, card_ct = v.card_ct, medical_ct = v.medical_ct,
              key_version = v.key_version, integrity_mac = v.integrity_mac
       FROM unnest($1::uuid[], $2::text[], $3::varchar[], $4::text[], $5::text[], $6::int[], $7::varchar[])
            AS v(user_id, ssn_ct, ssn_blind_index, card_ct, medical_ct, key_version, integrity_mac)
       WHERE p.user_id = v.user_id`,
      [
        col('userId'),
        col('ssnCiphertext'),
        col('ssnBlindIndex'),
        col('cardCiphertext'),
        col('medicalCiphertext'),
        col('keyVersion'),
        col('integrityMac'),
      ],
    );
  }

  async countByVersion(): Promise<Map<number, number>> {
    const rows: { key_version: number; n: string }[] = await this.dataSource.query(
      'SELECT key_version, count(*)::text AS n FROM profiles GROUP BY key_version',
    );
    return new Map(rows.map((r) => [r.key_version, Number(r.n)]));
  }

  countBelow(version: number): Promise<number> {
    return this.dataSource.getRepository(Profile).countBy({ keyVersion: LessThan(version) });
  }

  async remove(em: EntityManager, userId: string): Promise<void> {
    await em.getRepository(Profile).delete({ userId });
  }
}
