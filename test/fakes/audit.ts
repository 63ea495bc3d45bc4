import type { EntityManager } from 'typeorm';
import { AuditService } from '../../libs/audit/src/audit.service';
import type { AuditCheckpoint, AuditRepository, AuditSearch } from '../../libs/audit/src/audit.repository';
import type { AuditEvent } from '../../libs/audit/src/entities/audit-event.entity';
import { Clock } from '@app/core';
import { copyRow, FakeDatabase, PublicPart, transactionOf, TransactionalStore, unitCursors } from './core';

/**
 * The audit table in memory: ids from a sequence that never goes back (as nextval), rows in id order, rolled back
 * with the transaction that wrote them. It remembers which of the caller's transactions wrote each row.
 */
export class InMemoryAuditRepository implements PublicPart<AuditRepository>, TransactionalStore {
  rows: AuditEvent[] = [];
  private seq = 0;
  /** Row id → the caller's transaction, or undefined when the event was recorded in a transaction of its own. */
  private readonly transactions = new Map<string, number | undefined>();
  private readonly own = new Set<number>();

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
    if (manager) return fn(manager);
    return this.db.transaction((em) => {
      this.own.add(transactionOf(em)!);
      return fn(em);
    });
  }

  async chainHead(): Promise<{ lastHash?: string; nextId: string }> {
    return { lastHash: this.rows[this.rows.length - 1]?.hash, nextId: await this.nextId() };
  }

  async nextId(): Promise<string> {
    return String(++this.seq);
  }

  async insert(em: EntityManager, row: AuditEvent): Promise<unknown> {
    this.db.write(this, em, 'audit insert');
    const transaction = transactionOf(em);
    this.transactions.set(row.id, transaction !== undefined && this.own.has(transaction) ? undefined : transaction);
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

  async search(f: AuditSearch, limit: number, beforeId?: string): Promise<AuditEvent[]> {
    return this.newestFirst()
      .filter(
        (r) =>
          (!f.ownerId || r.actorId === f.ownerId || (r.targetType === 'user' && r.targetId === f.ownerId)) &&
          (!f.types?.length || f.types.some((t) => r.action.startsWith(t))) &&
          (!f.actorId || r.actorId === f.actorId) &&
          (!f.targetId || r.targetId === f.targetId) &&
          (!f.outcome || r.outcome === f.outcome) &&
          (!f.since || r.occurredAt >= f.since) &&
          (!f.until || r.occurredAt < f.until) &&
          (beforeId === undefined || Number(r.id) < Number(beforeId)),
      )
      .slice(0, limit);
  }

  checkpoints: AuditCheckpoint[] = [];

  async latestCheckpoint(): Promise<AuditCheckpoint | undefined> {
    return this.checkpoints[this.checkpoints.length - 1];
  }

  async firstAtOrBefore(id: string): Promise<string | undefined> {
    return this.rows.find((r) => Number(r.id) <= Number(id))?.id;
  }

  /** As audit_purge_through: the verified prefix, all older than the cutoff, goes; a checkpoint records it. */
  async purgeThrough(lastId: string, lastHash: string, cutoff: Date): Promise<number> {
    const last = this.rows.find((r) => r.id === lastId);
    if (!last || last.hash !== lastHash) throw new Error(`audit purge: event ${lastId} is not the verified one`);
    const prefix = this.rows.filter((r) => Number(r.id) <= Number(lastId));
    if (prefix.some((r) => r.occurredAt >= cutoff)) throw new Error('audit purge: not all older than the cutoff');
    this.rows = this.rows.filter((r) => Number(r.id) > Number(lastId));
    this.checkpoints.push({ lastId, lastHash, createdAt: new Date(), deleted: prefix.length, cutoff });
    return prefix.length;
  }

  async page(afterId: string, limit: number): Promise<AuditEvent[]> {
    return this.rows.filter((r) => Number(r.id) > Number(afterId)).slice(0, limit);
  }

  /** Events with this action, oldest first (for assertions). */
  actions(action: string): AuditEvent[] {
    return this.rows.filter((r) => r.action === action);
  }

  /** The caller's transaction an event was recorded in; undefined when the caller passed none. */
  writtenIn(row: AuditEvent): number | undefined {
    if (!this.transactions.has(row.id)) throw new Error(`no audit event ${row.id}`);
    return this.transactions.get(row.id);
  }

  /** Every action recorded, oldest first (for assertions). */
  allActions(): string[] {
    return this.rows.map((r) => r.action);
  }

  private newestFirst(): AuditEvent[] {
    return [...this.rows].reverse();
  }
}

/** The real AuditService over the in-memory table. */
export function fakeAudit(db: FakeDatabase, clock: Clock): { audit: AuditService; auditRepo: InMemoryAuditRepository } {
  const auditRepo = new InMemoryAuditRepository(db);
  return { audit: new AuditService(auditRepo as unknown as AuditRepository, clock, unitCursors()), auditRepo };
}
