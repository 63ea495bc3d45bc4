import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AuditService } from '@app/audit';
import { Clock, isDatabaseUnavailable } from '@app/core';
import type { KnownKey } from './key-cache';

const WINDOW_MS = 60_000;

/**
 * Audits denied uses of real keys (expired, revoked, wrong address, missing scope, limits) and uses during a
 * rotation grace period. Identical events for one key and reason within a minute are coalesced into the next record
 * (`details.repeated`), so a flood of one revoked key cannot turn into a flood of audit writes; every request is
 * still counted in the usage aggregates. Recording happens off the request path.
 */
@Injectable()
export class DenialAuditor implements OnApplicationShutdown {
  private readonly logger = new Logger('KeyAudit');
  private readonly windows = new Map<string, { since: number; repeated: number }>();
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  note(key: KnownKey, code: string, ip: string | undefined, graceEndsAt?: Date): void {
    const event = code === 'VALID' ? 'grace' : code;
    const slot = `${key.id}|${event}`;
    const now = this.clock.nowMs();
    const w = this.windows.get(slot);
    if (w && now - w.since < WINDOW_MS) {
      w.repeated++;
      return;
    }
    if (this.windows.size > 10_000) this.windows.clear();
    this.windows.set(slot, { since: now, repeated: 0 });
    const details: Record<string, unknown> = { code, keyId: key.keyId, repeatedInPreviousMinute: w?.repeated ?? 0 };
    if (graceEndsAt) details.graceEndsAt = graceEndsAt.toISOString();
    const write = this.audit
      .record({
        action: code === 'VALID' ? 'api_key.grace_use' : 'api_key.use_denied',
        outcome: code === 'VALID' ? 'success' : 'denied',
        actorType: 'api_key',
        actorId: key.ownerId,
        targetType: 'api_key',
        targetId: key.id,
        ip: ip ?? null,
        details,
      })
      .catch((err: unknown) => {
        if (!isDatabaseUnavailable(err)) this.logger.error({ err }, 'recording a denied key use failed');
      })
      .finally(() => this.inflight.delete(write));
    this.inflight.add(write);
  }

  /** Waits for records in flight (tests, shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.inflight]);
  }

  /** Records in flight are written before the database connection closes. */
  onApplicationShutdown(): Promise<void> {
    return this.settle();
  }
}
