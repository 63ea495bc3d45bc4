import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { AppConfig, Clock, JobResult, JobRunner, periodOfMinute } from '@app/core';
import { CertificateMonitor } from './certificate-monitor';
import { DevLeafRegistration } from './dev-leaf.registration';

export const CERTIFICATE_CHECK_JOB = 'certificate-check';

/**
 * The daily check of every certificate (`CERT_CHECK_CRON`, UTC). Each tick runs through the JobRunner: one instance
 * runs it (advisory lock), once per scheduled minute (a second tick for the same period is skipped), and the run is
 * recorded in `job_runs` with its counts.
 */
@Injectable()
export class CertificateCheckJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CertificateCheckJob');
  private running?: Promise<JobResult>;

  constructor(
    private readonly monitor: CertificateMonitor,
    private readonly jobs: JobRunner,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly devLeaf: DevLeafRegistration,
    @Optional() private readonly scheduler?: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    // Only the service schedules (the CLI composes no ScheduleModule).
    if (!this.scheduler) return;
    const expression = this.config.env.CERT_CHECK_CRON;
    if (expression !== 'off') {
      let job: CronJob;
      try {
        job = new CronJob(expression, () => void this.tick(), null, false, 'UTC');
      } catch (err) {
        throw new Error(`CERT_CHECK_CRON "${expression}" is not a valid cron expression: ${(err as Error).message}`);
      }
      this.scheduler.addCronJob(CERTIFICATE_CHECK_JOB, job as never);
      job.start();
    }
    if (this.config.env.NODE_ENV === 'development') void this.devLeaf.register();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.scheduler?.doesExist('cron', CERTIFICATE_CHECK_JOB)) this.scheduler.deleteCronJob(CERTIFICATE_CHECK_JOB);
    await this.running?.catch(() => undefined);
  }

  /** One scheduled run for the current minute. */
  tick(): Promise<JobResult> {
    this.running ??= this.jobs
      .run(CERTIFICATE_CHECK_JOB, periodOfMinute(this.clock.now()), () => this.monitor.checkAll('schedule'))
      .then((r) => {
        if (r.status === 'ran') this.logger.log({ outcome: r.outcome, counts: r.counts }, 'scheduled certificate check');
        return r;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }
}
