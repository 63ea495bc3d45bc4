import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@app/core';
import type { EntityManager } from 'typeorm';
import { OutboxMessage } from './entities/outbox-message.entity';
import { Mailer } from './mailer';
import { NotificationsRepository } from './notifications.repository';

export interface EmailNotification {
  kind: string;
  to: string;
  subject: string;
  text: string;
}

export const MAX_DELIVERY_ATTEMPTS = 8;
/** A claimed message is retried by anyone after this long, should the claiming process die mid-delivery. */
export const CLAIM_LEASE_MS = 5 * 60_000;
export const REMOVED_BODY = '[removed after delivery]';

/** Exponential backoff: 10 s, 20 s, 40 s … capped at one hour. */
export function backoffMs(attempts: number): number {
  return Math.min(10_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

@Injectable()
export class NotificationsService {
  private readonly logger = new Logger('Outbox');

  constructor(
    private readonly repo: NotificationsRepository,
    private readonly mailer: Mailer,
    private readonly clock: Clock,
  ) {}

  /** Queue a mail in the caller's transaction: it is sent only if that transaction commits. */
  enqueueEmail(em: EntityManager, n: EmailNotification): Promise<void> {
    return this.repo.insert(em, {
      channel: 'email',
      kind: n.kind,
      recipient: n.to,
      subject: n.subject,
      body: n.text,
      status: 'pending',
      nextAttemptAt: this.clock.now(),
    });
  }

  /** Delivers what is due; failures are retried with backoff, then marked failed. Returns how many were tried. */
  async deliverDue(limit = 20): Promise<number> {
    const now = this.clock.now();
    const batch = await this.repo.claimDue(now, new Date(now.getTime() + CLAIM_LEASE_MS), limit);
    for (const message of batch) await this.deliverOne(message);
    return batch.length;
  }

  private async deliverOne(message: OutboxMessage): Promise<void> {
    message.attempts += 1;
    try {
      if (message.channel !== 'email') throw new Error(`no transport for channel ${message.channel}`);
      await this.mailer.send({ to: message.recipient, subject: message.subject ?? '', text: message.body });
      message.status = 'delivered';
      message.deliveredAt = this.clock.now();
      message.lastError = null;
      message.body = REMOVED_BODY; // it may hold a one-time link: keep it no longer than needed
    } catch (err) {
      message.lastError = (err instanceof Error ? err.message : String(err)).slice(0, 500);
      if (message.attempts >= MAX_DELIVERY_ATTEMPTS) {
        message.status = 'failed';
        message.body = REMOVED_BODY;
      } else message.nextAttemptAt = new Date(this.clock.nowMs() + backoffMs(message.attempts));
      this.logger.warn({ outboxId: message.id, attempts: message.attempts, status: message.status }, 'delivery failed');
    }
    await this.repo.saveOutcome(message);
  }
}
