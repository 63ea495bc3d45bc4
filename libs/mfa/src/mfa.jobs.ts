import { Injectable, OnModuleInit } from '@nestjs/common';
import { Clock, JobScheduler } from '@app/core';
import { MfaRepository } from './mfa.repository';

export const MFA_PURGE_JOB = 'mfa.purge';

/** Hourly retention: second-step tokens and WebAuthn challenges expired a day ago go (one instance per hour). */
@Injectable()
export class MfaJobs implements OnModuleInit {
  constructor(
    private readonly repo: MfaRepository,
    private readonly scheduler: JobScheduler,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.scheduler.register({
      name: MFA_PURGE_JOB,
      everyMs: 3_600_000,
      run: async () => ({ expired: await this.repo.purge(new Date(this.clock.nowMs() - 86_400_000)) }),
    });
  }
}
