import { MailMessage, Mailer, MAX_DELIVERY_ATTEMPTS, NotificationsService, WebhookSender } from '@app/notifications';
import { AppConfig, SecretStore } from '@app/core';
import { DataSource } from 'typeorm';
import { adminQuery } from '../support/database';
import { startTestApp, TestApp } from '../support/app';
import { TestClock } from '../support/test-clock';

class FlakyMailer extends Mailer {
  sent: MailMessage[] = [];
  failuresLeft = 0;
  async send(m: MailMessage): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('SMTP 451 try again later');
    }
    this.sent.push(m);
  }
}

describe('notification outbox (real PostgreSQL)', () => {
  let t: TestApp;
  const clock = new TestClock();
  const mailer = new FlakyMailer();
  let service: NotificationsService;

  beforeAll(async () => {
    t = await startTestApp();
    // The real repository and transaction code, with a mail transport that fails on demand and a movable clock.
    const repo = (
      t.app.get(NotificationsService) as unknown as { repo: ConstructorParameters<typeof NotificationsService>[0] }
    ).repo;
    service = new NotificationsService(
      repo,
      mailer,
      clock,
      t.app.get(WebhookSender),
      t.app.get(AppConfig),
      t.app.get(SecretStore),
    );
    // The app's own delivery job runs on real time; messages queued on this clock are due for it only in a day,
    // so it cannot race the assertions below.
    clock.advance(86_400_000);
  });
  afterAll(() => t?.stop());

  it('sends nothing when the transaction that queued the mail rolls back', async () => {
    await expect(
      t.app.get(DataSource).transaction(async (em) => {
        await service.enqueueEmail(em, { kind: 'test', to: 'rollback@example.com', subject: 's', text: 'x' });
        throw new Error('change failed');
      }),
    ).rejects.toThrow('change failed');
    expect(
      await adminQuery(t.db, `SELECT 1 FROM outbox_messages WHERE recipient = 'rollback@example.com'`),
    ).toHaveLength(0);
  });

  it('retries with backoff and delivers once', async () => {
    await t.app
      .get(DataSource)
      .transaction((em) =>
        service.enqueueEmail(em, { kind: 'test', to: 'retry@example.com', subject: 'hello', text: 'body' }),
      );
    mailer.failuresLeft = 2;
    await service.deliverDue();
    const row = async () =>
      (
        await adminQuery<{ status: string; attempts: number }>(
          t.db,
          `SELECT status, attempts FROM outbox_messages WHERE recipient = 'retry@example.com'`,
        )
      )[0];
    expect(await row()).toEqual({ status: 'pending', attempts: 1 });
    expect(await service.deliverDue()).toBe(0); // not due yet: backoff
    clock.advance(11_000);
    await service.deliverDue();
    expect(await row()).toEqual({ status: 'pending', attempts: 2 });
    clock.advance(21_000);
    await service.deliverDue();
    expect(await row()).toEqual({ status: 'delivered', attempts: 3 });
    expect(mailer.sent.filter((m) => m.to === 'retry@example.com')).toEqual([
      expect.objectContaining({ text: 'body' }),
    ]);
    const [stored] = await adminQuery<{ body: string }>(
      t.db,
      `SELECT body FROM outbox_messages WHERE recipient = 'retry@example.com'`,
    );
    expect(stored.body).toBe('[removed after delivery]');
  });

  it('gives up after the maximum attempts and marks the message failed', async () => {
    await t.app
      .get(DataSource)
      .transaction((em) => service.enqueueEmail(em, { kind: 'test', to: 'dead@example.com', subject: 's', text: 'x' }));
    mailer.failuresLeft = 1000;
    for (let i = 0; i < MAX_DELIVERY_ATTEMPTS; i++) {
      await service.deliverDue();
      clock.advance(3_700_000);
    }
    const [row] = await adminQuery<{ status: string; attempts: number }>(
      t.db,
      `SELECT status, attempts FROM outbox_messages WHERE recipient = 'dead@example.com'`,
    );
    expect(row).toEqual({ status: 'failed', attempts: MAX_DELIVERY_ATTEMPTS });
    mailer.failuresLeft = 0;
  });
});
