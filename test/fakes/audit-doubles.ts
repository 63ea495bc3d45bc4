import type { AuditEntry, AuditEventView, AuditService } from '@app/audit';
import type { Page } from '@app/core';
import type { EntityManager } from 'typeorm';

/** AuditService without the chained table: every entry in order, with the transaction it was written in. */
export class FakeAudit {
  readonly events: { entry: AuditEntry; em?: EntityManager }[] = [];

  async record(entry: AuditEntry, em?: EntityManager): Promise<unknown> {
    this.events.push({ entry, em });
    return entry;
  }

  /** Newest first, as the real listing; the id is the entry's position. */
  async listForTarget(targetType: string, targetId: string, limit: number): Promise<Page<AuditEventView>> {
    const items = this.events
      .map((e, i) => ({ ...e.entry, id: String(i + 1) }))
      .filter((e) => e.targetType === targetType && e.targetId === targetId)
      .reverse()
      .slice(0, limit);
    return { items: items as unknown as AuditEventView[], nextCursor: null };
  }

  actions(): string[] {
    return this.events.map((e) => e.entry.action);
  }

  of(action: string): { entry: AuditEntry; em?: EntityManager }[] {
    return this.events.filter((e) => e.entry.action === action);
  }

  asAuditService(): AuditService {
    return this as unknown as AuditService;
  }
}
