import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, LessThan, MoreThan } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AuditEvent } from './entities/audit-event.entity';

/** Advisory lock serialising appends, so each row chains to exactly one predecessor. */
export const AUDIT_CHAIN_LOCK_KEY = 727_271_002;

@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Runs `fn` in a transaction (or the caller's) holding the chain lock. */
  async withChainLock<T>(manager: EntityManager | undefined, fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const run = async (em: EntityManager) => {
      await em.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK_KEY]);
      return fn(em);
    };
    return manager ? run(manager) : this.dataSource.transaction(run);
  }

  async lastHash(em: EntityManager): Promise<string | undefined> {
    const rows: { hash: string }[] = await em.query('SELECT "hash" FROM "audit_events" ORDER BY "id" DESC LIMIT 1');
    return rows[0]?.hash;
  }

  async nextId(em: EntityManager): Promise<string> {
    const rows: { id: string }[] = await em.query(`SELECT nextval('audit_events_id_seq')::text AS id`);
    return rows[0].id;
  }

  insert(em: EntityManager, row: AuditEvent): Promise<unknown> {
    return em.insert(AuditEvent, row as QueryDeepPartialEntity<AuditEvent>);
  }

  forTarget(targetType: string, targetId: string, limit: number, before?: string): Promise<AuditEvent[]> {
    return this.dataSource.getRepository(AuditEvent).find({
      where: { targetType, targetId, ...(before ? { id: LessThan(before) } : {}) },
      order: { id: 'DESC' },
      take: limit,
    });
  }

  /** Events a user did or that were about them (as actor, or as the target user), newest first. */
  aboutUser(userId: string, limit: number): Promise<AuditEvent[]> {
    return this.dataSource.getRepository(AuditEvent).find({
      where: [{ actorId: userId }, { targetType: 'user', targetId: userId }],
      order: { id: 'DESC' },
      take: limit,
    });
  }

  /** Rows after `afterId`, in chain order. */
  page(afterId: string, limit: number): Promise<AuditEvent[]> {
    return this.dataSource
      .getRepository(AuditEvent)
      .find({ where: { id: MoreThan(afterId) }, order: { id: 'ASC' }, take: limit });
  }
}
