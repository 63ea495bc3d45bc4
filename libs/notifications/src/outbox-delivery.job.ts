import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig, isDatabaseUnavailable } from '@app/core';
import { NotificationsService } from './notifications.service';

/**
 * Delivers the outbox every `MAIL_DELIVERY_INTERVAL_MS` (0 = off; tests read the outbox instead). Moves to the shared,
 * locked scheduler with the scale-out issue; SKIP LOCKED claims already make several instances safe.
 */
@Injectable()
export class OutboxDeliveryJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxDelivery');
  private running?: Promise<void>;

  constructor(
    private readonly notifications: NotificationsService,
    private readonly config: AppConfig,
    @Optional() private readonly scheduler?: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.env.MAIL_DELIVERY_INTERVAL_MS;
    if (every <= 0) return;
    if (!this.scheduler) throw new Error('MAIL_DELIVERY_INTERVAL_MS > 0 needs ScheduleModule in the composition root');
    this.scheduler.addInterval('outbox-delivery', setInterval(() => void this.tick(), every));
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.scheduler?.doesExist('interval', 'outbox-delivery')) this.scheduler.deleteInterval('outbox-delivery');
    await this.running;
  }

  tick(): Promise<void> {
    this.running ??= this.drain().finally(() => (this.running = undefined));
    return this.running;
  }

  private async drain(): Promise<void> {
    try {
      while ((await this.notifications.deliverDue()) > 0) {
        /* keep going while there is a backlog */
      }
    } catch (err) {
      if (!isDatabaseUnavailable(err)) this.logger.error({ err }, 'outbox delivery failed');
    }
  }
}
