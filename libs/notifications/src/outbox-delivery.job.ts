import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig, JobScheduler } from '@app/core';
import { NotificationsService } from './notifications.service';

export const OUTBOX_DELIVERY_JOB = 'outbox-delivery';

/**
 * Delivers the outbox every `MAIL_DELIVERY_INTERVAL_MS` (0 = off; tests read the outbox instead) through the shared
 * scheduler; messages are claimed with SKIP LOCKED and a lease, so even overlapping runs never send one twice.
 */
@Injectable()
export class OutboxDeliveryJob implements OnModuleInit {
  constructor(
    private readonly notifications: NotificationsService,
    private readonly config: AppConfig,
    private readonly scheduler: JobScheduler,
  ) {}

  onModuleInit(): void {
    this.scheduler.register({
      name: OUTBOX_DELIVERY_JOB,
      everyMs: this.config.env.MAIL_DELIVERY_INTERVAL_MS,
      run: () => this.drain(),
    });
  }

  /** Delivers while there is a backlog. */
  async drain(): Promise<{ tried: number }> {
    let tried = 0;
    for (let n = await this.notifications.deliverDue(); n > 0; n = await this.notifications.deliverDue()) tried += n;
    return { tried };
  }
}
