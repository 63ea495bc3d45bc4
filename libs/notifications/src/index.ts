import type { SchemaParts } from '@app/core';
import { OutboxMessage } from './entities/outbox-message.entity';
import { CreateOutbox1763900100000 } from './migrations/1763900100000-CreateOutbox';
import { OutboxRecipientIndex1763901000000 } from './migrations/1763901000000-OutboxRecipientIndex';

export { NotificationsModule } from './notifications.module';
export { NotificationsService, backoffMs, MAX_DELIVERY_ATTEMPTS } from './notifications.service';
export type { EmailNotification, WebhookNotification } from './notifications.service';
export { WebhookSender, signWebhook, verifyWebhookSignature, SIGNATURE_HEADER } from './webhook-sender';
export type { WebhookDelivery } from './webhook-sender';
export { Mailer, LogMailer } from './mailer';
export type { MailMessage } from './mailer';
export { OutboxMessage } from './entities/outbox-message.entity';

export const notificationsSchema: Partial<SchemaParts> = {
  entities: [OutboxMessage],
  migrations: [CreateOutbox1763900100000, OutboxRecipientIndex1763901000000],
  appendOnlyTables: [],
};
