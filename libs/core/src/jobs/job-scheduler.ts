import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { isDatabaseUnavailable } from '../errors/problem';
import { Clock } from '../system/clock';
import { JobCounts, JobResult, JobRunner } from './job-runner';

export const JOB_RUNS_PURGE_JOB = 'job-runs.purge';
/** How long `job_runs` rows are kept. */
export const JOB_RUNS_RETENTION_DAYS = 30;

export interface JobDefinition {
  name: string;
  /** Run every this many ms (0 or less: not scheduled, still runnable with `jobs:run`). */
  everyMs?: number;
  /** Or on a cron schedule (UTC; 5 fields, or 6 with seconds); `off` for none. */
  cron?: string;
  run: () => Promise<JobCounts>;
}

export interface JobInfo {
  name: string;
  schedule: string;
  nextRunAt: string | null;
  lastRuns: Awaited<ReturnType<JobRunner['recent']>>;
}

/**
 * The one scheduling layer: modules register their jobs here; the API process schedules them with @nestjs/schedule
 * (the CLI composes no ScheduleModule, so it only runs them on demand). Each tick goes through the JobRunner, so with
 * N instances a job runs once per period: the period of an interval job is its slot (`floor(now / every)`), of a cron
 * job the scheduled minute (or second, for 6-field expressions), whichever instance gets there first.
 */
@Injectable()
export class JobScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly jobs = new Map<string, JobDefinition>();
  private readonly crons = new Map<string, CronJob>();
  private readonly inFlight = new Map<string, Promise<JobResult>>();
  private stopped = false;

  constructor(
    private readonly runner: JobRunner,
    private readonly clock: Clock,
    @Optional() private readonly registry?: SchedulerRegistry,
  ) {
    this.register({
      name: JOB_RUNS_PURGE_JOB,
      everyMs: 3_600_000,
      run: () => this.runner.purgeBefore(new Date(this.clock.nowMs() - JOB_RUNS_RETENTION_DAYS * 86_400_000)),
    });
  }

  register(job: JobDefinition): void {
    if (this.jobs.has(job.name)) throw new Error(`job ${job.name} is registered twice`);
    if (job.cron && job.cron !== 'off') {
      try {
        this.crons.set(job.name, new CronJob(job.cron, () => void this.tick(job.name), null, false, 'UTC'));
      } catch (err) {
        throw new Error(`job ${job.name}: "${job.cron}" is not a valid cron expression (${(err as Error).message})`);
      }
    }
    this.jobs.set(job.name, job);
  }

  /** True in the API process (it schedules); false in the CLI (jobs run only on demand). */
  get scheduling(): boolean {
    return !!this.registry;
  }

  get names(): string[] {
    return [...this.jobs.keys()].sort();
  }

  onApplicationBootstrap(): void {
    if (!this.registry) return;
    for (const job of this.jobs.values()) {
      const cron = this.crons.get(job.name);
      if (cron) {
        this.registry.addCronJob(`job:${job.name}`, cron as never);
        cron.start();
      } else if ((job.everyMs ?? 0) > 0) {
        this.registry.addInterval(
          `job:${job.name}`,
          setInterval(() => void this.tick(job.name), job.everyMs),
        );
      }
    }
  }

  /** Before the pool closes (TypeORM's own shutdown hook): stop the timers and let running jobs finish. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const name of this.jobs.keys()) {
      if (this.registry?.doesExist('cron', `job:${name}`)) this.registry.deleteCronJob(`job:${name}`);
      if (this.registry?.doesExist('interval', `job:${name}`)) this.registry.deleteInterval(`job:${name}`);
    }
    await Promise.all([...this.inFlight.values()].map((p) => p.catch(() => undefined)));
  }

  /** The period a tick at `at` belongs to. */
  periodOf(name: string, at: Date): string {
    const job = this.require(name);
    if (job.cron) {
      // A cron job switched off still has minute periods when run by hand through tick().
      const seconds = job.cron.trim().split(/\s+/).length === 6;
      return seconds ? `${at.toISOString().slice(0, 19)}Z` : `${at.toISOString().slice(0, 16)}Z`;
    }
    const every = Math.max(1, job.everyMs ?? 1);
    return new Date(Math.floor(at.getTime() / every) * every).toISOString();
  }

  /** A scheduled run for the current period (skipped when another instance has it or it already ran). */
  tick(name: string): Promise<JobResult> {
    const running = this.inFlight.get(name);
    if (running) return running.then(() => ({ status: 'skipped', reason: 'locked' }) as JobResult);
    if (this.stopped) return Promise.resolve({ status: 'skipped', reason: 'locked' });
    const job = this.require(name);
    const run = this.runner
      .run(name, this.periodOf(name, this.clock.now()), job.run)
      .catch((err: unknown): JobResult => {
        if (!isDatabaseUnavailable(err)) this.logger.error({ job: name, err }, 'job could not be run');
        return { status: 'skipped', reason: 'unavailable', error: (err as Error).message };
      })
      .finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, run);
    return run;
  }

  /**
   * Runs a job now, outside its schedule (CLI `jobs:run`, `certs:check`, admin), under the same lock; `work` replaces
   * the registered run for callers that follow its progress.
   */
  runNow(name: string, work: () => Promise<JobCounts> = this.require(name).run): Promise<JobResult> {
    return this.runner.run(name, `manual:${this.clock.now().toISOString()}`, work);
  }

  async describe(): Promise<JobInfo[]> {
    const out: JobInfo[] = [];
    for (const job of [...this.jobs.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      const cron = this.crons.get(job.name);
      const every = job.everyMs ?? 0;
      const last = await this.runner.recent(job.name, 5);
      let next: Date | null = null;
      if (cron && this.registry) next = cron.nextDate().toJSDate();
      else if (every > 0 && this.registry) next = new Date((Math.floor(this.clock.nowMs() / every) + 1) * every);
      out.push({
        name: job.name,
        schedule: cron ? `cron ${job.cron} (UTC)` : every > 0 ? `every ${every} ms` : 'on demand',
        nextRunAt: next?.toISOString() ?? null,
        lastRuns: last,
      });
    }
    return out;
  }

  private require(name: string): JobDefinition {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`unknown job "${name}"; jobs: ${this.names.join(', ')}`);
    return job;
  }
}
