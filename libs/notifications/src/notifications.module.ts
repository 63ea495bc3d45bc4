import { Module } from '@nestjs/common';
import { AppConfig, SecretStore, StartupError } from '@app/core';
import { LogMailer, Mailer, SmtpMailer } from './mailer';
import { NotificationsAccountData } from './notifications.account-data';
import { NotificationsRepository } from './notifications.repository';
import { NotificationsService } from './notifications.service';
import { OutboxDeliveryJob } from './outbox-delivery.job';
import { WebhookSender } from './webhook-sender';

@Module({
  providers: [
    NotificationsRepository,
    NotificationsService,
    OutboxDeliveryJob,
    WebhookSender,
    NotificationsAccountData,
    {
      provide: Mailer,
      inject: [AppConfig, SecretStore],
      useFactory: (config: AppConfig, secrets: SecretStore) => {
        const url = secrets.get('SMTP_URL');
        if (url) return new SmtpMailer(url, config.env.MAIL_FROM);
        // Logging mails is for development: the text holds one-time links that must never reach production logs.
        if (config.isProduction)
          throw new StartupError(
            'SMTP_URL (or SMTP_URL_FILE) is required in production: mails hold one-time links and are never logged there',
          );
        return new LogMailer();
      },
    },
    {
      provide: 'NOTIFY_WEBHOOK_CHECK',
      inject: [AppConfig, SecretStore],
      useFactory: (config: AppConfig, secrets: SecretStore) => {
        if (config.env.NOTIFY_WEBHOOK_URL && !secrets.get('NOTIFY_WEBHOOK_SECRET')) {
          throw new StartupError(
            'NOTIFY_WEBHOOK_URL is set but NOTIFY_WEBHOOK_SECRET (or NOTIFY_WEBHOOK_SECRET_FILE) is not: webhooks are always signed',
          );
        }
        return true;
      },
    },
  ],
  exports: [NotificationsService],
})
export class NotificationsModule {}
