import type { SchemaParts } from '@app/core';
import { OutboxMessage } from './entities/outbox-message.entity';
import { CreateOutbox1763900100000 } from './migrations/1763900100000-CreateOutbox';
import { OutboxRecipientIndex1763901000000 } from './migrations/1763901000000-OutboxRecipientIndex';

export { NotificationsModule } from './notifications.module';
export { NotificationsService, MAX_DELIVERY_ATTEMPTS } from './notifications.service';
export type { EmailNotification, WebhookNotification } from './notifications.service';
export { WebhookSender, verifyWebhookSignature, SIGNATURE_HEADER } from './webhook-sender';
export { Mailer } from './mailer';
export type { MailMessage } from './mailer';

export const notificationsSchema: Partial<SchemaParts> = {
  entities: [OutboxMessage],
  migrations: [CreateOutbox1763900100000, OutboxRecipientIndex1763901000000],
  appendOnlyTables: [],
};
