import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageOf } from '../http/pagination';

const OUTCOMES = ['running', 'success', 'failed', 'abandoned'];
const COUNTS = { type: 'object', additionalProperties: { type: 'integer' } } as const;

export class JobRunView {
  @ApiProperty({ description: 'Run number (a 64-bit integer, as a string)', pattern: '^[0-9]+$', example: '1042' })
  id!: string;

  @ApiProperty({
    description: 'The period the run belongs to: its interval slot, cron minute, or `manual:<instant>`',
    example: '2026-11-23T03:00Z',
  })
  period!: string;

  @ApiProperty({ description: 'The instance that ran it (host:pid)', example: 'api-1:4127' })
  instance!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T03:00:00.012Z' })
  startedAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'null while running',
    example: '2026-11-23T03:00:01.348Z',
  })
  finishedAt!: string | null;

  @ApiProperty({ enum: OUTCOMES, example: 'success', description: '`abandoned`: its instance died mid-run' })
  outcome!: string;

  @ApiProperty({ ...COUNTS, description: 'What the job did', example: { checked: 12, alerts: 1 } })
  counts!: Record<string, number>;

  @ApiProperty({ type: String, nullable: true, description: 'The failure message of a failed run', example: null })
  error!: string | null;
}

export class JobView {
  @ApiProperty({ example: 'certificate-check' })
  name!: string;

  @ApiProperty({ description: '`cron <expr> (UTC)`, `every <n> ms`, or `on demand`', example: 'cron 0 3 * * * (UTC)' })
  schedule!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'On the answering instance; null when not scheduled there',
    example: '2026-11-24T03:00:00.000Z',
  })
  nextRunAt!: string | null;

  @ApiProperty({
    type: () => JobRunView,
    isArray: true,
    description: 'The last 5 runs across all instances, newest first',
  })
  lastRuns!: JobRunView[];
}

export const JobPage = PageOf(JobView, 'Every registered job, by name');

export class JobRunResultView {
  @ApiProperty({ enum: ['ran', 'skipped'], example: 'ran' })
  status!: string;

  @ApiPropertyOptional({
    enum: ['locked', 'already-ran', 'unavailable'],
    description:
      'Why it was skipped: another instance holds the job, this period already succeeded, or the database is away',
    example: 'locked',
  })
  reason?: string;

  @ApiPropertyOptional({ pattern: '^[0-9]+$', example: '1042' })
  runId?: string;

  @ApiPropertyOptional({ enum: OUTCOMES, example: 'success' })
  outcome?: string;

  @ApiPropertyOptional({ ...COUNTS, example: { checked: 12, alerts: 1 } })
  counts?: Record<string, number>;

  @ApiPropertyOptional({
    description: 'The failure message of a failed run',
    example: 'connect ECONNREFUSED 127.0.0.1:5432',
  })
  error?: string;
}
