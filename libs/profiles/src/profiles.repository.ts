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

  findForUpdate(em: EntityManager, userId: string): Promise<Profile | null> {
    return em.getRepository(Profile).createQueryBuilder('p').setLock('pessimistic_write').where('p.userId = :userId', { userId }).getOne();
  }

  async save(em: EntityManager, row: Profile): Promise<void> {
    await em.getRepository(Profile).save(row);
  }

  findByBlindIndex(candidates: string[]): Promise<Profile[]> {
    return this.dataSource.getRepository(Profile).find({ where: { ssnBlindIndex: In(candidates) }, take: 10 });
  }

  /** Rows whose envelopes are under an older key version, locked (SKIP LOCKED: two rewrap runs share the work). */
  lockBatchBelow(em: EntityManager, version: number, limit: number): Promise<Profile[]> {
    return em.getRepository(Profile).createQueryBuilder('p').where('p.keyVersion < :version', { version }).orderBy('p.userId').limit(limit).setLock('pessimistic_write').setOnLocked('skip_locked').getMany();
  }

  async countByVersion(): Promise<Map<number, number>> {
    const rows: { key_version: number; n: string }[] = await this.dataSource.query('SELECT key_version, count(*)::text AS n FROM profiles GROUP BY key_version');
    return new Map(rows.map((r) => [r.key_version, Number(r.n)]));
  }

  countBelow(version: number): Promise<number> {
    return this.dataSource.getRepository(Profile).countBy({ keyVersion: LessThan(version) });
  }

  async remove(em: EntityManager, userId: string): Promise<void> {
    await em.getRepository(Profile).delete({ userId });
  }
}
