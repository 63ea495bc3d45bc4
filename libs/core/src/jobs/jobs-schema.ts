import type { SchemaParts } from '../database/schema-parts';
import { JobRun } from './job-run.entity';
import { CreateJobRuns1763900700000 } from './migrations/1763900700000-CreateJobRuns';
import { CreateSecretFingerprints1763901310000 } from '../secrets/migrations/1763901310000-CreateSecretFingerprints';

/** The core's own tables: the record of scheduled job runs, and the fingerprints of the versioned secrets. */
export const coreSchema: Partial<SchemaParts> = {
  entities: [JobRun],
  migrations: [CreateJobRuns1763900700000, CreateSecretFingerprints1763901310000],
  // A fingerprint, once recorded, is never rewritten by the app role: only the owner could replace it.
  appendOnlyTables: ['secret_fingerprints'],
};
