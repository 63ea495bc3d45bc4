import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig, Clock, JobScheduler } from '@app/core';
import { SessionsRepository } from './sessions.repository';

export const SESSIONS_PURGE_JOB = 'sessions.purge';

/** Hourly retention: ended sessions and spent email tokens do not pile up (one instance per hour does it). */
@Injectable()
export class AuthJobs implements OnModuleInit {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly scheduler: JobScheduler,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.scheduler.register({
      name: SESSIONS_PURGE_JOB,
      everyMs: 3_600_000,
      run: () => this.sessions.purgeEnded(this.clock.now(), this.config.env.SESSION_IDLE_MINUTES),
    });
  }
}
