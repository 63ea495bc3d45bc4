import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { AppConfig, JobResult, JobScheduler } from '@app/core';
import { CertificateMonitor } from './certificate-monitor';
import { DevLeafRegistration } from './dev-leaf.registration';

export const CERTIFICATE_CHECK_JOB = 'certificate-check';

/**
 * The daily check of every certificate (`CERT_CHECK_CRON`, UTC) through the shared scheduler: one instance runs it
 * (advisory lock), once per scheduled minute (a second tick for the same period is skipped), recorded in `job_runs`.
 */
@Injectable()
export class CertificateCheckJob implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('CertificateCheckJob');
  private devLeafRegistered?: Promise<unknown>;

  constructor(
    private readonly monitor: CertificateMonitor,
    private readonly scheduler: JobScheduler,
    private readonly config: AppConfig,
    private readonly devLeaf: DevLeafRegistration,
  ) {}

  onModuleInit(): void {
    this.scheduler.register({
      name: CERTIFICATE_CHECK_JOB,
      cron: this.config.env.CERT_CHECK_CRON,
      run: () => this.monitor.checkAll('schedule'),
    });
  }

  onApplicationBootstrap(): void {
    // The service (not the CLI) watches its own development certificate.
    if (this.scheduler.scheduling && this.config.env.NODE_ENV === 'development')
      this.devLeafRegistered = this.devLeaf.register();
  }

  /** A stop right after start waits for the registration, so it does not lose its database connection midway. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.devLeafRegistered;
  }

  /** One scheduled run for the current period. */
  async tick(): Promise<JobResult> {
    const r = await this.scheduler.tick(CERTIFICATE_CHECK_JOB);
    if (r.status === 'ran') this.logger.log({ outcome: r.outcome, counts: r.counts }, 'scheduled certificate check');
    return r;
  }
}
