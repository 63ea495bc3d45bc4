import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { isDatabaseUnavailable } from '@app/core';
import { NotificationsService } from './notifications.service';

/** Delivers the outbox every two seconds (moves to the shared, locked scheduler with the scale-out issue). */
@Injectable()
export class OutboxDeliveryJob {
  private readonly logger = new Logger('OutboxDelivery');
  private running = false;

  constructor(private readonly notifications: NotificationsService) {}

  @Interval('outbox-delivery', 2000)
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while ((await this.notifications.deliverDue()) > 0) {
        /* keep going while there is a backlog */
      }
    } catch (err) {
      if (!isDatabaseUnavailable(err)) this.logger.error({ err }, 'outbox delivery failed');
    } finally {
      this.running = false;
    }
  }
}
