import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { ADMIN_SCOPE, CursorCodec, Page, Principal } from '@app/core';
import { AuditRepository, AuditSearch } from './audit.repository';
import { AuditService, eventView } from './audit.service';
import type { AuditFilterQueryDto, AuditEventsQueryDto } from './dto/audit-query.dto';
import { AuditEventView, SecurityActivityView, SecurityEventView } from './dto/audit-event.response';
import type { AuditEvent } from './entities/audit-event.entity';

/** Rows the export reads per query: the stream holds at most one batch in memory. */
export const EXPORT_BATCH = 1000;

/** What a person's security log shows (action prefixes). Extend here when a context records a new kind. */
export const SECURITY_ACTIVITY = {
  signIns: ['auth.login', 'auth.reauthenticate', 'auth.lockout', 'mfa.challenge', 'mfa.verify'],
  apiKeys: [
    'api_key.create',
    'api_key.rotate',
    'api_key.revoke',
    'api_key.revoked_by_admin',
    'api_key.rotated_by_admin',
    'api_key.revoked_on_reset',
  ],
  credentials: [
    'auth.password_change',
    'auth.password_reset',
    'auth.reset_password',
    'auth.email_change',
    'admin.user_force_password_reset',
    'mfa.enrol',
    'mfa.factor',
    'mfa.disable',
    'mfa.remove',
    'mfa.recovery',
  ],
} as const;

const isAdmin = (p: Principal) => p.scopes.includes(ADMIN_SCOPE);
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function securityView(r: AuditEvent): SecurityEventView {
  const d = r.details ?? {};
  return {
    id: r.id,
    occurredAt: r.occurredAt.toISOString(),
    action: r.action,
    outcome: r.outcome,
    ip: r.ip,
    userAgent: r.userAgent,
    factor: text(d.factor) ?? (r.action === 'auth.login' && r.outcome === 'success' ? 'password' : null),
    reason: text(d.reason),
    keyId: text(d.keyId),
    redacted: r.redactedAt !== null && r.redactedAt !== undefined,
  };
}

/**
 * Reading the log: a reader with `audit:read` sees the events they did or that were about them; with `admin:all`,
 * everyone's — and such a read is itself recorded (who read, with which filters, how much).
 */
@Injectable()
export class AuditQueryService {
  constructor(
    private readonly repo: AuditRepository,
    private readonly audit: AuditService,
    private readonly cursors: CursorCodec,
  ) {}

  async list(p: Principal, q: AuditEventsQueryDto): Promise<Page<AuditEventView>> {
    const limit = q.limit ?? 20;
    const search = this.searchOf(p, q);
    const context = `audit-events|${JSON.stringify(search)}`;
    const before = this.cursors.decode(context, q.cursor)?.id;
    const rows = await this.repo.search(search, limit + 1, before);
    const page = this.cursors.page(context, rows, limit, (r) => ({ value: null, id: r.id }), eventView);
    if (!search.ownerId) await this.recordRead(p, 'audit.read', q, page.items.length);
    return page;
  }

  /**
   * Every matching event as NDJSON, newest first, for a SIEM. Pulled a batch at a time: the next query runs only
   * when the client has taken what was sent (the stream's backpressure), so memory stays flat whatever the size.
   */
  async export(p: Principal, q: AuditFilterQueryDto): Promise<Readable> {
    const search = this.searchOf(p, q);
    if (!search.ownerId) await this.recordRead(p, 'audit.export', q);
    const repo = this.repo;
    async function* lines(): AsyncGenerator<string> {
      let before: string | undefined;
      for (;;) {
        const rows = await repo.search(search, EXPORT_BATCH, before);
        if (rows.length) yield rows.map((r) => `${JSON.stringify(eventView(r))}\n`).join('');
        if (rows.length < EXPORT_BATCH) return;
        before = rows[rows.length - 1].id;
      }
    }
    return Readable.from(lines(), { objectMode: false, highWaterMark: 64 * 1024 });
  }

  /** The caller's own sign-ins, key events and credential changes, newest first (`limit` of each). */
  async securityActivity(p: Principal, limit = 20): Promise<SecurityActivityView> {
    const of = async (types: readonly string[]) =>
      (await this.repo.search({ ownerId: p.userId, types: [...types] }, limit)).map(securityView);
    return {
      signIns: await of(SECURITY_ACTIVITY.signIns),
      apiKeys: await of(SECURITY_ACTIVITY.apiKeys),
      credentials: await of(SECURITY_ACTIVITY.credentials),
    };
  }

  /** The filters as the repository takes them; a reader without admin:all is held to their own events. */
  private searchOf(p: Principal, q: AuditFilterQueryDto): AuditSearch {
    return {
      ...(isAdmin(p) ? {} : { ownerId: p.userId }),
      ...(q.type ? { types: [q.type] } : {}),
      ...(q.actorId ? { actorId: q.actorId } : {}),
      ...(q.targetId ? { targetId: q.targetId } : {}),
      ...(q.outcome ? { outcome: q.outcome } : {}),
      ...(q.since ? { since: new Date(q.since) } : {}),
      ...(q.until ? { until: new Date(q.until) } : {}),
    };
  }

  private recordRead(p: Principal, action: string, q: AuditFilterQueryDto, returned?: number): Promise<unknown> {
    const filters = {
      type: q.type,
      actorId: q.actorId,
      targetId: q.targetId,
      outcome: q.outcome,
      since: q.since,
      until: q.until,
    };
    return this.audit.record({
      action,
      outcome: 'success',
      actorType: p.kind === 'apiKey' ? 'api_key' : 'user',
      actorId: p.userId,
      targetType: 'audit_log',
      details: { filters, ...(returned !== undefined ? { returned } : {}), ...(p.keyId ? { keyId: p.keyId } : {}) },
    });
  }
}
