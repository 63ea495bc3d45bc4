import type { SchemaParts } from '../database/schema-parts';
import { JobRun } from './job-run.entity';
import { CreateJobRuns1763900700000 } from './migrations/1763900700000-CreateJobRuns';

/** The core's own table: the record of scheduled job runs. */
export const coreSchema: Partial<SchemaParts> = {
  entities: [JobRun],
  migrations: [CreateJobRuns1763900700000],
  appendOnlyTables: [],
};
