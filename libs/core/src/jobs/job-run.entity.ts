import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type JobOutcome = 'running' | 'success' | 'failed' | 'abandoned';

/** One run of a scheduled job: who ran it, for which period, how it ended and what it counted. */
@Entity('job_runs')
export class JobRun {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'text' })
  job!: string;

  /** The period the run is for (e.g. the scheduled minute `2026-11-24T03:00Z`); `manual:<time>` for runs on demand. */
  @Column({ type: 'text' })
  period!: string;

  @Column({ type: 'text' })
  instance!: string;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @Column({ type: 'text' })
  outcome!: JobOutcome;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  counts!: Record<string, number>;

  @Column({ type: 'text', nullable: true })
  error!: string | null;
}
