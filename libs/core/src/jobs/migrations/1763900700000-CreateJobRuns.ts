import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateJobRuns1763900700000 implements MigrationInterface {
  name = 'CreateJobRuns1763900700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "job_runs" (
        "id" bigserial PRIMARY KEY,
        "job" text NOT NULL CHECK (length("job") BETWEEN 1 AND 100),
        "period" text NOT NULL CHECK (length("period") BETWEEN 1 AND 100),
        "instance" text NOT NULL,
        "started_at" timestamptz NOT NULL,
        "finished_at" timestamptz,
        "outcome" text NOT NULL CHECK ("outcome" IN ('running', 'success', 'failed', 'abandoned')),
        "counts" jsonb NOT NULL DEFAULT '{}',
        "error" text
      )`);
    // At most one successful run per job and period: the database, not a convention, makes a job once per period.
    await q.query(
      `CREATE UNIQUE INDEX "job_runs_once_per_period" ON "job_runs" ("job", "period") WHERE "outcome" = 'success'`,
    );
    await q.query(`CREATE INDEX "job_runs_job_started" ON "job_runs" ("job", "started_at" DESC)`);
    // Each tick closes runs left 'running' by a dead process: find them without visiting the job's history.
    await q.query(`CREATE INDEX "job_runs_running" ON "job_runs" ("job") WHERE "outcome" = 'running'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "job_runs"`);
  }
}
