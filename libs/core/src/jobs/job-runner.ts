import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import { returnedRows } from '../database/returned-rows';
import { Clock } from '../system/clock';
import type { JobOutcome } from './job-run.entity';

export type JobCounts = Record<string, number>;

export interface JobResult {
  /** `skipped`: another instance holds the job (`locked`), this period already succeeded (`already-ran`), or the database is away (`unavailable`). */
  status: 'ran' | 'skipped';
  reason?: 'locked' | 'already-ran' | 'unavailable';
  runId?: string;
  outcome?: JobOutcome;
  counts?: JobCounts;
  error?: string;
}

/**
 * Runs a job at most once at a time across every instance sharing the database, and at most once per period:
 * a transaction-scoped PostgreSQL advisory lock per job (gone with the connection if the process dies) and a unique
 * index on successful (job, period) rows. Each run is recorded in `job_runs` with its instance, outcome and counts.
 */
@Injectable()
export class JobRunner {
  private readonly logger = new Logger('Jobs');
  readonly instance = `${hostname()}:${process.pid}`;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async run(job: string, period: string, work: () => Promise<JobCounts>): Promise<JobResult> {
    const holder = this.dataSource.createQueryRunner();
    await holder.connect();
    try {
      await holder.startTransaction();
      // The lock's transaction stays open (idle) while the work runs on other connections.
      await holder.query(`SET LOCAL idle_in_transaction_session_timeout = 0`);
      const [{ locked }] = returnedRows<{ locked: boolean }>(
        await holder.query(`SELECT pg_try_advisory_xact_lock(hashtextextended('job:' || $1, 0)) AS locked`, [job]),
      );
      if (!locked) return { status: 'skipped', reason: 'locked' };
      return await this.runLocked(job, period, work);
    } finally {
      if (holder.isTransactionActive) await holder.commitTransaction().catch(() => undefined);
      await holder.release();
    }
  }

  private async runLocked(job: string, period: string, work: () => Promise<JobCounts>): Promise<JobResult> {
    const db = this.dataSource.manager;
    // Runs left 'running' while we hold the lock belong to a process that died mid-run.
    await db.query(
      `UPDATE job_runs SET outcome = 'abandoned', finished_at = $2 WHERE job = $1 AND outcome = 'running'`,
      [job, this.clock.now()],
    );
    const done = returnedRows(
      await db.query(`SELECT 1 FROM job_runs WHERE job = $1 AND period = $2 AND outcome = 'success'`, [job, period]),
    );
    if (done.length) return { status: 'skipped', reason: 'already-ran' };
    const [{ id }] = returnedRows<{ id: string }>(
      await db.query(
        `INSERT INTO job_runs (job, period, instance, started_at, outcome) VALUES ($1, $2, $3, $4, 'running') RETURNING id`,
        [job, period, this.instance, this.clock.now()],
      ),
    );
    let outcome: JobOutcome = 'success';
    let counts: JobCounts = {};
    let error: string | undefined;
    try {
      counts = await work();
    } catch (err) {
      outcome = 'failed';
      error = (err instanceof Error ? err.message : String(err)).slice(0, 500);
      this.logger.error({ job, period, err }, 'job failed');
    }
    await db.query(`UPDATE job_runs SET outcome = $2, finished_at = $3, counts = $4, error = $5 WHERE id = $1`, [
      id,
      outcome,
      this.clock.now(),
      JSON.stringify(counts),
      error ?? null,
    ]);
    return { status: 'ran', runId: id, outcome, counts, error };
  }

  /** Run records older than the retention are dropped (one hourly job). */
  async purgeBefore(before: Date): Promise<{ deleted: number }> {
    const rows = await this.dataSource.manager.query(
      `DELETE FROM job_runs WHERE started_at < $1 AND outcome <> 'running' RETURNING id`,
      [before],
    );
    return { deleted: returnedRows(rows).length };
  }

  /** The latest runs of a job, newest first. */
  async recent(
    job: string,
    limit = 20,
  ): Promise<
    {
      id: string;
      period: string;
      instance: string;
      startedAt: Date;
      finishedAt: Date | null;
      outcome: JobOutcome;
      counts: JobCounts;
      error: string | null;
    }[]
  > {
    const rows = await this.dataSource.manager.query(
      `SELECT id, period, instance, started_at AS "startedAt", finished_at AS "finishedAt", outcome, counts, error
         FROM job_runs WHERE job = $1 ORDER BY started_at DESC, id DESC LIMIT $2`,
      [job, limit],
    );
    return returnedRows(rows);
  }
}
