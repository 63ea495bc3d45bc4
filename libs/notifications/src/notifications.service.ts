import { Injectable, Logger } from '@nestjs/common';
import { AppConfig, Clock, SecretStore } from '@app/core';
import type { EntityManager } from 'typeorm';
import { OutboxMessage } from './entities/outbox-message.entity';
import { Mailer } from './mailer';
import { NotificationsRepository } from './notifications.repository';
import { WebhookSender } from './webhook-sender';

export interface EmailNotification {
  kind: string;
  to: string;
  subject: string;
  text: string;
}

/** An event for `NOTIFY_WEBHOOK_URL`: `kind` becomes the event type, `data` its payload. */
export interface WebhookNotification {
  kind: string;
  data: Record<string, unknown>;
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
    private readonly webhooks: WebhookSender,
    private readonly config: AppConfig,
    private readonly secrets: SecretStore,
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

  /**
   * Queue a mail unless `perHour` mails of its kind already went to that address within the last hour (so nobody can
   * make the service flood an inbox with reset or verification mails); answers whether it was queued. Serialised per
   * (kind, address) by a transaction-scoped advisory lock, so parallel requests on several instances count right.
   */
  async enqueueEmailLimited(em: EntityManager, n: EmailNotification, perHour: number): Promise<boolean> {
    if ((await this.repo.lockAndCountLastHour(em, n.to, n.kind)) >= perHour) {
      this.logger.warn({ kind: n.kind, perHour }, 'mail not queued: the hourly limit for this address is reached');
      return false;
    }
    await this.enqueueEmail(em, n);
    return true;
  }

  /** Queue a webhook event in the caller's transaction; a no-op when `NOTIFY_WEBHOOK_URL` is not set. */
  async enqueueWebhook(em: EntityManager, n: WebhookNotification): Promise<void> {
    const url = this.config.env.NOTIFY_WEBHOOK_URL;
    if (!url) return;
    const now = this.clock.now();
    await this.repo.insert(em, {
      channel: 'webhook',
      kind: n.kind,
      recipient: url,
      subject: null,
      body: JSON.stringify({ type: n.kind, createdAt: now.toISOString(), data: n.data }),
      status: 'pending',
      nextAttemptAt: now,
    });
  }

  /** Erasure: drops every message to an address (pending ones are never sent). */
  async forgetRecipient(em: EntityManager, address: string): Promise<number> {
    const rows: unknown = await em.query('DELETE FROM outbox_messages WHERE recipient = $1 RETURNING id', [address]);
    return (Array.isArray(rows) && Array.isArray(rows[0]) ? rows[0] : (rows as unknown[])).length;
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
      if (message.channel === 'email')
        await this.mailer.send({ to: message.recipient, subject: message.subject ?? '', text: message.body });
      else if (message.channel === 'webhook') await this.sendWebhook(message);
      else throw new Error(`no transport for channel ${String(message.channel)}`);
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

  private sendWebhook(message: OutboxMessage): Promise<void> {
    const secret = this.secrets.require('NOTIFY_WEBHOOK_SECRET');
    // The id and creation time were fixed when the event was queued; the signature is fresh for each attempt.
    const body = JSON.stringify({ id: message.id, ...(JSON.parse(message.body) as object) });
    return this.webhooks.send({
      url: message.recipient,
      id: message.id,
      body,
      secret,
      timestamp: Math.floor(this.clock.nowMs() / 1000),
    });
  }
}
