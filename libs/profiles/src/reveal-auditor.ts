import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Clock, Principal, AuditTrail } from '@app/core';

const WINDOW_MS = 60_000;

/**
 * Audits reveals of unmasked data. The first reveal of a profile by an actor in a minute is written before the data
 * leaves (in the request); further reveals by the same actor of the same profile within that minute are counted and
 * carried by the next record (`repeatedSincePrevious`), or written at shutdown, so a client polling its own profile
 * does not turn every read into a chained audit write.
 */
@Injectable()
export class RevealAuditor implements OnApplicationShutdown {
  private readonly windows = new Map<string, { since: number; repeated: number; actor: Principal; targetId: string }>();

  constructor(
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  async reveal(actor: Principal, targetId: string, fields: string[]): Promise<void> {
    const slot = `${actor.kind}|${actor.keyId ?? actor.sessionId ?? ''}|${actor.userId}|${targetId}`;
    const now = this.clock.nowMs();
    const w = this.windows.get(slot);
    if (w && now - w.since < WINDOW_MS) {
      w.repeated++;
      return;
    }
    if (this.windows.size > 10_000) await this.flushAll();
    this.windows.set(slot, { since: now, repeated: 0, actor, targetId });
    await this.record(actor, targetId, { fields, repeatedSincePrevious: w?.repeated ?? 0 });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flushAll();
  }

  private async flushAll(): Promise<void> {
    const pending = [...this.windows.values()].filter((w) => w.repeated > 0);
    this.windows.clear();
    for (const w of pending)
      await this.record(w.actor, w.targetId, { repeatedSincePrevious: w.repeated, flushed: true }).catch(
        () => undefined,
      );
  }

  private record(actor: Principal, targetId: string, details: Record<string, unknown>): Promise<unknown> {
    return this.audit.record({
      action: 'profile.reveal',
      outcome: 'success',
      actorType: actor.kind === 'apiKey' ? 'api_key' : 'user',
      actorId: actor.userId,
      targetType: 'user',
      targetId,
      details: { ...details, keyId: actor.keyId ?? null },
    });
  }
}
