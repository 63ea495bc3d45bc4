import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { applyKeyset, KeysetPosition, METRICS_QUERY_TAG, returnedRows } from '@app/core';
import { DataSource, EntityManager } from 'typeorm';
import type { CertificateSort } from './dto/certificate.dto';
import { CertificateCheck } from './entities/certificate-check.entity';
import { Certificate, CertificateSource } from './entities/certificate.entity';
import type { CheckStatus } from './certificate-checks';

export interface CertificateFilter {
  ownerId?: string;
  status?: CheckStatus;
  source?: CertificateSource;
  expiresBefore?: Date;
}

const SORT_COLUMNS: Record<string, string> = {
  notAfter: 'c.notAfter',
  createdAt: 'c.createdAt',
  lastCheckedAt: 'c.lastCheckedAt',
  subject: 'c.subject',
};

@Injectable()
export class CertificatesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(fn);
  }

  async insert(em: EntityManager, row: Partial<Certificate>): Promise<Certificate> {
    const repo = em.getRepository(Certificate);
    return repo.save(repo.create(row));
  }

  findById(id: string, em: EntityManager = this.dataSource.manager): Promise<Certificate | null> {
    return em.getRepository(Certificate).findOneBy({ id });
  }

  findForUpdate(em: EntityManager, id: string): Promise<Certificate | null> {
    return em
      .getRepository(Certificate)
      .createQueryBuilder('c')
      .setLock('pessimistic_write')
      .where('c.id = :id', { id })
      .getOne();
  }

  findBySource(
    ownerId: string | null,
    sourceKey: string,
    em: EntityManager = this.dataSource.manager,
  ): Promise<Certificate | null> {
    return em
      .getRepository(Certificate)
      .createQueryBuilder('c')
      .where(ownerId ? 'c.ownerId = :ownerId' : 'c.ownerId IS NULL', { ownerId })
      .andWhere('c.sourceKey = :sourceKey', { sourceKey })
      .getOne();
  }

  countOwned(ownerId: string): Promise<number> {
    return this.dataSource.getRepository(Certificate).countBy({ ownerId });
  }

  async update(em: EntityManager, id: string, changes: Partial<Certificate>): Promise<void> {
    await em.getRepository(Certificate).update({ id }, changes as never);
  }

  async delete(em: EntityManager, id: string): Promise<void> {
    await em.getRepository(Certificate).delete({ id });
  }

  /** Sorting and filtering only by allow-listed columns, values always bound; a keyset page after `after`. */
  list(
    filter: CertificateFilter,
    sort: CertificateSort,
    limit: number,
    after?: KeysetPosition,
  ): Promise<Certificate[]> {
    const column = SORT_COLUMNS[sort.replace(/^-/, '')] ?? 'c.notAfter';
    const qb = this.dataSource.getRepository(Certificate).createQueryBuilder('c');
    if (filter.ownerId) qb.andWhere('c.ownerId = :ownerId', { ownerId: filter.ownerId });
    if (filter.status) qb.andWhere('c.status = :status', { status: filter.status });
    if (filter.source) qb.andWhere('c.sourceType = :source', { source: filter.source });
    if (filter.expiresBefore) qb.andWhere('c.notAfter <= :before', { before: filter.expiresBefore });
    return applyKeyset(qb, { column, idColumn: 'c.id', desc: sort.startsWith('-') }, after)
      .limit(limit)
      .getMany();
  }

  /** Ids of every certificate, for the scheduled check (a batch at a time). */
  async idsAfter(afterId: string | null, limit: number): Promise<string[]> {
    const rows = await this.dataSource.query(
      `SELECT id FROM certificates WHERE ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT $2`,
      [afterId, limit],
    );
    return returnedRows<{ id: string }>(rows).map((r) => r.id);
  }

  /** How many certificates the inventory holds (the denominator of a full check's progress). */
  async countAll(): Promise<number> {
    const [row] = returnedRows<{ n: number }>(
      await this.dataSource.query(`SELECT count(*)::int AS n FROM certificates`),
    );
    return row.n;
  }

  async addCheck(em: EntityManager, check: Partial<CertificateCheck>): Promise<void> {
    await em.getRepository(CertificateCheck).insert(check as never);
  }

  checks(certificateId: string, limit: number): Promise<CertificateCheck[]> {
    return this.dataSource
      .getRepository(CertificateCheck)
      .find({ where: { certificateId }, order: { checkedAt: 'DESC', id: 'DESC' }, take: limit });
  }

  /** Check history older than the newest `keep` per certificate is dropped (the table stays bounded). */
  async pruneChecks(em: EntityManager, certificateId: string, keep: number): Promise<void> {
    await em.query(
      `DELETE FROM certificate_checks WHERE certificate_id = $1 AND id NOT IN (
         SELECT id FROM certificate_checks WHERE certificate_id = $1 ORDER BY checked_at DESC, id DESC LIMIT $2)`,
      [certificateId, keep],
    );
  }

  /** What the metrics report: every certificate's expiry and status. */
  async gaugeRows(): Promise<
    { id: string; subject: string | null; source: string; notAfter: Date | null; status: CheckStatus | null }[]
  > {
    const rows = await this.dataSource.query(
      `${METRICS_QUERY_TAG} SELECT id, subject, source_type AS source, not_after AS "notAfter", status FROM certificates ORDER BY id LIMIT 10000`,
    );
    return returnedRows(rows);
  }
}
