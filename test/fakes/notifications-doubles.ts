import type { EmailNotification, NotificationsService, WebhookNotification } from '@app/notifications';
import type { EntityManager } from 'typeorm';

/** The outbox without a table: what was queued, in which transaction. */
export class FakeNotifications {
  readonly emails: { em: EntityManager; mail: EmailNotification }[] = [];
  readonly webhooks: { em: EntityManager; event: WebhookNotification }[] = [];

  async enqueueEmail(em: EntityManager, mail: EmailNotification): Promise<void> {
    this.emails.push({ em, mail });
  }

  async enqueueWebhook(em: EntityManager, event: WebhookNotification): Promise<void> {
    this.webhooks.push({ em, event });
  }

  asNotificationsService(): NotificationsService {
    return this as unknown as NotificationsService;
  }
}
