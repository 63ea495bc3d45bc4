import type { EntityManager } from 'typeorm';
import { AuditService } from '../../libs/audit/src/audit.service';
import type { AuditRepository } from '../../libs/audit/src/audit.repository';
import type { AuditEvent } from '../../libs/audit/src/entities/audit-event.entity';
import { Clock } from '@app/core';
import { copyRow, FakeDatabase, PublicPart, TransactionalStore } from './core';

/** The audit table in memory: ids from a sequence that never goes back (as nextval), rows in id order. */
export class InMemoryAuditRepository implements PublicPart<AuditRepository>, TransactionalStore {
  rows: AuditEvent[] = [];
  private seq = 0;

  constructor(private readonly db: FakeDatabase) {
    db.register(this);
  }

  snapshot(): unknown {
    return this.rows.map(copyRow);
  }

  restore(state: unknown): void {
    this.rows = state as AuditEvent[]; // the sequence is not rolled back, as in PostgreSQL
  }

  withChainLock<T>(manager: EntityManager | undefined, fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return manager ? fn(manager) : this.db.transaction(fn);
  }

  async lastHash(): Promise<string | undefined> {
    return this.rows[this.rows.length - 1]?.hash;
  }

  async nextId(): Promise<string> {
    return String(++this.seq);
  }

  async insert(em: EntityManager, row: AuditEvent): Promise<unknown> {
    this.db.assertOpen(em, 'audit insert');
    this.rows.push(copyRow(row));
    return undefined;
  }

  async forTarget(targetType: string, targetId: string, limit: number, before?: string): Promise<AuditEvent[]> {
    return this.newestFirst()
      .filter((r) => r.targetType === targetType && r.targetId === targetId)
      .filter((r) => before === undefined || Number(r.id) < Number(before))
      .slice(0, limit);
  }

  async aboutUser(userId: string, limit: number): Promise<AuditEvent[]> {
    return this.newestFirst()
      .filter((r) => r.actorId === userId || (r.targetType === 'user' && r.targetId === userId))
      .slice(0, limit);
  }

  async page(afterId: string, limit: number): Promise<AuditEvent[]> {
    return this.rows.filter((r) => Number(r.id) > Number(afterId)).slice(0, limit);
  }

  /** Events with this action, oldest first (for assertions). */
  actions(action: string): AuditEvent[] {
    return this.rows.filter((r) => r.action === action);
  }

  private newestFirst(): AuditEvent[] {
    return [...this.rows].reverse();
  }
}

/** The real AuditService over the in-memory table. */
export function fakeAudit(db: FakeDatabase, clock: Clock): { audit: AuditService; auditRepo: InMemoryAuditRepository } {
  const auditRepo = new InMemoryAuditRepository(db);
  return { audit: new AuditService(auditRepo as unknown as AuditRepository, clock), auditRepo };
}
