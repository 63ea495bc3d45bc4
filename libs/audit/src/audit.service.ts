import { Injectable } from '@nestjs/common';
import {
  AuditRecord,
  AuditTrail,
  Clock,
  CoreErrorCode,
  CoreException,
  currentRequest,
  CursorCodec,
  Page,
} from '@app/core';
import type { EntityManager } from 'typeorm';
import { randomBytes } from 'node:crypto';
import { chainHash, chainHashV2, GENESIS_HASH, piiDigest } from './audit-chain';
import { AuditRepository } from './audit.repository';
import { AuditEventView } from './dto/audit-event.response';
import { AuditEvent } from './entities/audit-event.entity';

export { AuditEventView } from './dto/audit-event.response';

/** An event as a context describes it (core's AuditRecord: contexts that only write go through AuditTrail). */
export type AuditEntry = AuditRecord;

export interface ChainVerification {
  ok: boolean;
  checked: number;
  /** Rows whose personal fields were erased (their digest still chains; their erased fields are not vouched for). */
  redacted?: number;
  firstBadId?: string;
  reason?: string;
  /** Where verification started: the newest retention checkpoint (older events were deleted), if any. */
  checkpoint?: { lastId: string; lastHash: string; createdAt: string; deleted: number };
}

/** A row matches its hash: v1 over all fields; v2 over its digest, which must match its personal fields unless erased. */
export function rowIntact(row: AuditEvent): boolean {
  if (row.chainVersion === 1) return chainHash(row.prevHash, row) === row.hash;
  if (!row.piiDigest) return false;
  if (!row.redactedAt && (!row.piiSalt || piiDigest(row.piiSalt, row) !== row.piiDigest)) return false;
  return chainHashV2(row.prevHash, row, row.piiDigest) === row.hash;
}

/** An event as the API shows it: no hashes, digests or salts; an erased row says so. */
export function eventView(r: AuditEvent): AuditEventView {
  return {
    id: r.id,
    occurredAt: r.occurredAt.toISOString(),
    action: r.action,
    outcome: r.outcome,
    actorType: r.actorType,
    actorId: r.actorId,
    targetType: r.targetType,
    targetId: r.targetId,
    ip: r.ip,
    userAgent: r.userAgent,
    requestId: r.requestId,
    details: r.details,
    redacted: r.redactedAt !== null && r.redactedAt !== undefined,
  };
}

@Injectable()
export class AuditService extends AuditTrail {
  constructor(
    private readonly repo: AuditRepository,
    private readonly clock: Clock,
    private readonly cursors: CursorCodec,
  ) {
    super();
  }

  /**
   * Appends one event. Pass the EntityManager of the transaction that makes the change being recorded, so the
   * event and the change commit or roll back together.
   */
  record(entry: AuditEntry, manager?: EntityManager): Promise<AuditEvent> {
    const ctx = currentRequest();
    return this.repo.withChainLock(manager, async (em) => {
      const head = await this.repo.chainHead(em);
      const prevHash = head.lastHash ?? GENESIS_HASH;
      const row = Object.assign(new AuditEvent(), {
        id: head.nextId,
        occurredAt: this.clock.now(),
        actorType: entry.actorType ?? (entry.actorId ? 'user' : 'anonymous'),
        actorId: entry.actorId ?? null,
        action: entry.action,
        targetType: entry.targetType ?? null,
        targetId: entry.targetId ?? null,
        outcome: entry.outcome,
        ip: entry.ip !== undefined ? entry.ip : (ctx?.ip ?? null),
        userAgent: entry.userAgent !== undefined ? entry.userAgent : (ctx?.userAgent ?? null),
        requestId: entry.requestId !== undefined ? entry.requestId : ctx?.requestId || null,
        details: entry.details ?? {},
        prevHash,
        chainVersion: 2,
        piiSalt: randomBytes(16).toString('hex'),
        redactedAt: null,
      });
      row.piiDigest = piiDigest(row.piiSalt!, row);
      row.hash = chainHashV2(prevHash, row, row.piiDigest);
      await this.repo.insert(em, row);
      return row;
    });
  }

  /** Events about one object, newest first, a keyset page (the cursor continues this object's events only). */
  async listForTarget(
    targetType: string,
    targetId: string,
    limit: number,
    cursor?: string,
  ): Promise<Page<AuditEventView>> {
    const context = `audit-target|${targetType}|${targetId}`;
    const before = this.cursors.decode(context, cursor)?.id;
    if (before !== undefined && !/^[1-9][0-9]{0,18}$/.test(before))
      throw new CoreException(CoreErrorCode.INVALID_CURSOR);
    const rows = await this.repo.forTarget(targetType, targetId, limit + 1, before);
    return this.cursors.page(context, rows, limit, (r) => ({ value: null, id: r.id }), eventView);
  }

  /**
   * Erasure: in every version-2 event by or about the user, replaces their id with a pseudonym, clears IP, user agent
   * and details, and marks the row redacted; the chain still verifies. Version-1 rows (written before chain v2)
   * cannot be changed without breaking the chain and are counted, not changed.
   */
  async pseudonymiseUser(
    userId: string,
    pseudonym: string,
    em: EntityManager,
  ): Promise<{ redacted: number; keptV1: number }> {
    const result: unknown = await em.query(
      `UPDATE audit_events SET
         actor_id = CASE WHEN actor_id = $1 THEN $2 ELSE actor_id END,
         target_id = CASE WHEN target_id = $1 THEN $2 ELSE target_id END,
         ip = NULL, user_agent = NULL, details = '{}'::jsonb, pii_salt = NULL, redacted_at = $3
       WHERE (actor_id = $1 OR target_id = $1) AND chain_version = 2
       RETURNING id`,
      [userId, pseudonym, this.clock.now()],
    );
    const rows = (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as unknown[];
    const v1: { n: string }[] = await em.query(
      `SELECT count(*)::text AS n FROM audit_events WHERE (actor_id = $1 OR target_id = $1) AND chain_version = 1`,
      [userId],
    );
    return { redacted: rows.length, keptV1: Number(v1[0].n) };
  }

  /** What the log holds about a user (their own actions and actions on them), newest first, for data exports. */
  async aboutUser(userId: string, limit = 5000): Promise<AuditEventView[]> {
    return (await this.repo.aboutUser(userId, limit)).map(eventView);
  }

  /**
   * Recomputes the chain and names the first row whose link or content does not match. After a retention purge it
   * starts at the newest checkpoint: the first remaining event must link to the checkpoint's hash, and no event the
   * checkpoint says was deleted may remain.
   */
  async verify(batchSize = 1000): Promise<ChainVerification> {
    const cp = await this.repo.latestCheckpoint();
    const checkpoint = cp && {
      lastId: cp.lastId,
      lastHash: cp.lastHash,
      createdAt: cp.createdAt.toISOString(),
      deleted: cp.deleted,
    };
    let expectedPrev = cp?.lastHash ?? GENESIS_HASH;
    let afterId = cp?.lastId ?? '0';
    let checked = 0;
    let redacted = 0;
    const broken = (firstBadId: string, reason: string): ChainVerification => ({
      ok: false,
      checked,
      firstBadId,
      reason,
      ...(checkpoint ? { checkpoint } : {}),
    });
    const stale = cp && (await this.repo.firstAtOrBefore(cp.lastId));
    if (stale) return broken(stale, 'an event the retention checkpoint says was deleted is still there');
    for (;;) {
      const rows = await this.repo.page(afterId, batchSize);
      for (const row of rows) {
        if (row.prevHash !== expectedPrev)
          return broken(row.id, 'previous-hash link broken (a row was removed or reordered)');
        if (!rowIntact(row)) return broken(row.id, 'content does not match its hash (the row was altered)');
        if (row.redactedAt) redacted++;
        expectedPrev = row.hash;
        checked++;
      }
      if (rows.length < batchSize) return { ok: true, checked, redacted, ...(checkpoint ? { checkpoint } : {}) };
      afterId = rows[rows.length - 1].id;
    }
  }
}
