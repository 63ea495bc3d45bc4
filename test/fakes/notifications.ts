import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AppConfig, Clock, SECRET_DEFINITIONS, SecretStore } from '@app/core';
import type { OutboxMessage } from '../../libs/notifications/src/entities/outbox-message.entity';
import { MailMessage, Mailer } from '../../libs/notifications/src/mailer';
import type { NotificationsRepository } from '../../libs/notifications/src/notifications.repository';
import { NotificationsService } from '../../libs/notifications/src/notifications.service';
import { WebhookDelivery, WebhookSender } from '../../libs/notifications/src/webhook-sender';
import { copyRow, FakeDatabase, PublicPart, transactionOf, TransactionalStore } from './core';

const HOUR_MS = 3_600_000;

/** The settings that make NotificationsService queue webhook events (it queues none without a URL). */
export const WEBHOOK_ENV = {
  NOTIFY_WEBHOOK_URL: 'https://hooks.example.test/in',
  NOTIFY_WEBHOOK_SECRET: 'unit-webhook-secret-0123456789abcdef',
};

/**
 * The outbox table in memory, rolled back with the caller's transaction; `createdAt` comes from the clock
 * (PostgreSQL's `now()` in the real one). It remembers which transaction queued each message.
 */
export class InMemoryNotificationsRepository implements PublicPart<NotificationsRepository>, TransactionalStore {
  rows: OutboxMessage[] = [];
  private readonly transactions = new Map<string, number | undefined>();

  constructor(
    private readonly db: FakeDatabase,
    private readonly clock: Clock,
  ) {
    db.register(this);
  }

  snapshot(): unknown {
    return this.rows.map(copyRow);
  }

  restore(state: unknown): void {
    this.rows = state as OutboxMessage[];
  }

  async insert(em: EntityManager, message: Partial<OutboxMessage>): Promise<void> {
    this.db.write(this, em, 'outbox insert');
    const id = randomUUID();
    this.transactions.set(id, transactionOf(em));
    this.rows.push({
      payload: {},
      attempts: 0,
      deliveredAt: null,
      lastError: null,
      createdAt: this.clock.now(),
      ...message,
      id,
    } as OutboxMessage);
  }

  async lockAndCountLastHour(em: EntityManager, recipient: string, kind: string): Promise<number> {
    this.db.assertOpen(em, 'mail count');
    const since = this.clock.nowMs() - HOUR_MS;
    return this.rows.filter((m) => m.recipient === recipient && m.kind === kind && m.createdAt.getTime() > since)
      .length;
  }

  async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<OutboxMessage[]> {
    this.db.write(this, undefined, 'claimDue'); // committed at once
    const due = this.rows
      .filter((m) => m.status === 'pending' && m.nextAttemptAt <= now)
      .sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime())
      .slice(0, limit);
    for (const m of due) m.nextAttemptAt = leaseUntil;
    return due.map(copyRow);
  }

  async saveOutcome(message: OutboxMessage): Promise<void> {
    this.db.write(this, undefined, 'saveOutcome'); // committed at once
    const row = this.rows.find((m) => m.id === message.id);
    if (!row) return;
    const { status, attempts, nextAttemptAt, deliveredAt, lastError, body } = message;
    Object.assign(row, { status, attempts, nextAttemptAt, deliveredAt, lastError, body });
  }

  /** Forgets what was queued so far (a test that asserts on what comes next, e.g. after creating keys). */
  clear(): void {
    this.rows.length = 0;
  }

  /** Mails of one kind, oldest first (for assertions). */
  mails(kind?: string): OutboxMessage[] {
    return this.rows.filter((m) => m.channel === 'email' && (kind === undefined || m.kind === kind));
  }

  /** Webhook events as queued (type and data from the body), oldest first, with the transaction that queued each. */
  webhookEvents(kind?: string): { kind: string; data: Record<string, unknown>; transaction: number | undefined }[] {
    return this.rows
      .filter((m) => m.channel === 'webhook' && (kind === undefined || m.kind === kind))
      .map((m) => {
        const body = JSON.parse(m.body) as { type: string; data: Record<string, unknown> };
        return { kind: body.type, data: body.data, transaction: this.writtenIn(m) };
      });
  }

  /** The transaction that queued a message. */
  writtenIn(message: OutboxMessage): number | undefined {
    if (!this.transactions.has(message.id)) throw new Error(`no outbox message ${message.id}`);
    return this.transactions.get(message.id);
  }
}

/** Keeps what it was asked to send; `failWith` makes the next sends throw (an SMTP outage). */
export class RecordingMailer extends Mailer {
  readonly sent: MailMessage[] = [];
  failWith?: Error;

  async send(message: MailMessage): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.sent.push(message);
  }
}

/** The outbound HTTP side effect, kept instead of posted; `failWith` makes the receiver answer with an error. */
export class RecordingWebhookSender extends WebhookSender {
  readonly deliveries: WebhookDelivery[] = [];
  failWith?: Error;

  override async send(d: WebhookDelivery): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.deliveries.push(d);
  }
}

/** The real NotificationsService over the in-memory outbox, a recording mailer and webhook sender. */
export function fakeNotifications(db: FakeDatabase, clock: Clock, config: AppConfig) {
  const outbox = new InMemoryNotificationsRepository(db, clock);
  const mailer = new RecordingMailer();
  const webhooks = new RecordingWebhookSender();
  const secrets = SecretStore.load(
    config,
    SECRET_DEFINITIONS.filter((d) => d.name === 'NOTIFY_WEBHOOK_SECRET'),
    { embeddedDatabase: false },
  );
  const notifications = new NotificationsService(
    outbox as unknown as NotificationsRepository,
    mailer,
    clock,
    webhooks,
    config,
    secrets,
  );
  return { notifications, outbox, mailer, webhooks };
}
