import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig, Clock, JobScheduler } from '@app/core';
import { LockoutRepository } from './lockout/lockout.repository';
import { SessionsRepository } from './sessions.repository';

export const SESSIONS_PURGE_JOB = 'sessions.purge';

/** Hourly retention: ended sessions, spent email tokens, old lockout counters and dead device tokens do not pile up (one instance per hour does it). */
@Injectable()
export class AuthJobs implements OnModuleInit {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly lockout: LockoutRepository,
    private readonly scheduler: JobScheduler,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.scheduler.register({
      name: SESSIONS_PURGE_JOB,
      everyMs: 3_600_000,
      run: async () => ({
        ...(await this.sessions.purgeEnded(this.clock.now(), this.config.env.SESSION_IDLE_MINUTES)),
        ...(await this.lockout.purge(this.clock.now())),
      }),
    });
  }
}
