import { Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { FakeDatabase, ManualClock, unitConfig } from '../../../test/fakes/core';
import { fakeNotifications } from '../../../test/fakes/notifications';
import { backoffMs, CLAIM_LEASE_MS, MAX_DELIVERY_ATTEMPTS, REMOVED_BODY } from './notifications.service';

const WEBHOOK_SECRET = 'unit-webhook-secret-0123456789abcdef';

function setup(env: Record<string, string> = {}) {
  const db = new FakeDatabase();
  const clock = new ManualClock();
  const config = unitConfig(env);
  return { db, clock, config, ...fakeNotifications(db, clock, config) };
}

const mail = (to = 'ada@example.com', kind = 'auth.reset_password') => ({ kind, to, subject: 'Subject', text: 'x' });

describe('backoffMs', () => {
  it('doubles from 10 s and stops at one hour', () => {
    expect([1, 2, 3, 4].map(backoffMs)).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(backoffMs(0)).toBe(10_000);
    expect(backoffMs(20)).toBe(3_600_000);
  });
});

describe('NotificationsService', () => {
  beforeAll(() => Logger.overrideLogger(false));

  describe('queueing', () => {
    it('queues a mail as pending and due now, only when the caller commits', async () => {
      const { db, clock, notifications, outbox } = setup();
      await db.transaction((em) => notifications.enqueueEmail(em, mail()));
      expect(outbox.rows).toMatchObject([
        { channel: 'email', recipient: 'ada@example.com', status: 'pending', nextAttemptAt: clock.now() },
      ]);
      await expect(
        db.transaction(async (em) => {
          await notifications.enqueueEmail(em, mail('bob@example.com'));
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      expect(outbox.rows.map((m) => m.recipient)).toEqual(['ada@example.com']);
    });

    it('queues at most perHour mails of one kind to one address per hour', async () => {
      const { db, notifications, outbox } = setup();
      const limited = (m = mail()) => db.transaction((em) => notifications.enqueueEmailLimited(em, m, 3));
      expect([await limited(), await limited(), await limited()]).toEqual([true, true, true]);
      expect(await limited()).toBe(false);
      expect(outbox.mails()).toHaveLength(3);
      // Another address and another kind have their own allowance.
      expect(await limited(mail('bob@example.com'))).toBe(true);
      expect(await limited(mail('ada@example.com', 'auth.verify_email'))).toBe(true);
    });

    it('queues a webhook event with its type, time and data, and nothing when no URL is set', async () => {
      const off = setup();
      await off.db.transaction((em) => off.notifications.enqueueWebhook(em, { kind: 'cert.alert', data: { a: 1 } }));
      expect(off.outbox.rows).toEqual([]);

      const on = setup({ NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/in', NOTIFY_WEBHOOK_SECRET: WEBHOOK_SECRET });
      await on.db.transaction((em) => on.notifications.enqueueWebhook(em, { kind: 'cert.alert', data: { a: 1 } }));
      expect(on.outbox.rows).toHaveLength(1);
      expect(on.outbox.rows[0]).toMatchObject({ channel: 'webhook', recipient: 'https://hooks.example.com/in' });
      expect(JSON.parse(on.outbox.rows[0].body)).toEqual({
        type: 'cert.alert',
        createdAt: on.clock.now().toISOString(),
        data: { a: 1 },
      });
    });
  });

  describe('delivery', () => {
    async function queued(s: ReturnType<typeof setup>, n = 1): Promise<void> {
      for (let i = 0; i < n; i++)
        await s.db.transaction((em: EntityManager) => s.notifications.enqueueEmail(em, mail(`u${i}@example.com`)));
    }

    it('sends a due mail once, marks it delivered and drops its body (it may hold a one-time link)', async () => {
      const s = setup();
      await queued(s);
      s.clock.advance(1000);
      expect(await s.notifications.deliverDue()).toBe(1);
      expect(s.mailer.sent).toEqual([{ to: 'u0@example.com', subject: 'Subject', text: 'x' }]);
      expect(s.outbox.rows[0]).toMatchObject({
        status: 'delivered',
        attempts: 1,
        deliveredAt: s.clock.now(),
        lastError: null,
        body: REMOVED_BODY,
      });
      expect(await s.notifications.deliverDue()).toBe(0);
      expect(s.mailer.sent).toHaveLength(1);
    });

    it('retries a failed send with exponential backoff, then gives up after MAX_DELIVERY_ATTEMPTS', async () => {
      const s = setup();
      await queued(s);
      s.mailer.failWith = new Error(`SMTP 451 ${'z'.repeat(600)}`);
      for (let attempt = 1; attempt < MAX_DELIVERY_ATTEMPTS; attempt++) {
        expect(await s.notifications.deliverDue()).toBe(1);
        const row = s.outbox.rows[0];
        expect(row).toMatchObject({ status: 'pending', attempts: attempt });
        expect(row.nextAttemptAt.getTime()).toBe(s.clock.nowMs() + backoffMs(attempt));
        expect(row.lastError).toHaveLength(500);
        // Not due again before the backoff has passed.
        s.clock.advance(backoffMs(attempt) - 1);
        expect(await s.notifications.deliverDue()).toBe(0);
        s.clock.advance(1);
      }
      expect(await s.notifications.deliverDue()).toBe(1);
      expect(s.outbox.rows[0]).toMatchObject({ status: 'failed', attempts: MAX_DELIVERY_ATTEMPTS, body: REMOVED_BODY });
      s.clock.advanceHours(24);
      expect(await s.notifications.deliverDue()).toBe(0);
    });

    it('a message being delivered is not claimed again until its lease ends', async () => {
      const s = setup();
      await queued(s);
      let release!: () => void;
      s.mailer.send = () => new Promise<void>((resolve) => (release = resolve));
      const first = s.notifications.deliverDue();
      await new Promise((r) => setImmediate(r));
      s.clock.advance(CLAIM_LEASE_MS - 1);
      expect(await s.notifications.deliverDue()).toBe(0);
      release();
      expect(await first).toBe(1);
      expect(s.outbox.rows[0].status).toBe('delivered');
    });

    it('delivers at most `limit` per call and leaves the rest due', async () => {
      const s = setup();
      await queued(s, 3);
      expect(await s.notifications.deliverDue(2)).toBe(2);
      expect(s.mailer.sent).toHaveLength(2);
      expect(s.outbox.rows.filter((m) => m.status === 'pending')).toHaveLength(1);
      expect(await s.notifications.deliverDue(2)).toBe(1);
    });

    it('signs each webhook attempt with the secret and the clock, and carries the message id', async () => {
      const s = setup({ NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/in', NOTIFY_WEBHOOK_SECRET: WEBHOOK_SECRET });
      await s.db.transaction((em) => s.notifications.enqueueWebhook(em, { kind: 'cert.alert', data: { n: 2 } }));
      const id = s.outbox.rows[0].id;
      s.webhooks.failWith = new Error('webhook answered HTTP 503');
      await s.notifications.deliverDue();
      expect(s.outbox.rows[0]).toMatchObject({ status: 'pending', lastError: 'webhook answered HTTP 503' });
      s.webhooks.failWith = undefined;
      s.clock.advance(backoffMs(1));
      await s.notifications.deliverDue();
      const [d] = s.webhooks.deliveries;
      expect(d).toMatchObject({ url: 'https://hooks.example.com/in', id, secret: WEBHOOK_SECRET });
      expect(d.timestamp).toBe(Math.floor(s.clock.nowMs() / 1000));
      expect(JSON.parse(d.body)).toMatchObject({ id, type: 'cert.alert', data: { n: 2 } });
      expect(s.outbox.rows[0].status).toBe('delivered');
    });
  });
});
