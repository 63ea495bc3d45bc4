import { Module } from '@nestjs/common';
import { AppConfig, SecretStore } from '@app/core';
import { LogMailer, Mailer, SmtpMailer } from './mailer';
import { NotificationsRepository } from './notifications.repository';
import { NotificationsService } from './notifications.service';
import { OutboxDeliveryJob } from './outbox-delivery.job';

@Module({
  providers: [
    NotificationsRepository,
    NotificationsService,
    OutboxDeliveryJob,
    {
      provide: Mailer,
      inject: [AppConfig, SecretStore],
      useFactory: (config: AppConfig, secrets: SecretStore) => {
        const url = secrets.get('SMTP_URL');
        return url ? new SmtpMailer(url, config.env.MAIL_FROM) : new LogMailer();
      },
    },
  ],
  exports: [NotificationsService],
})
export class NotificationsModule {}
