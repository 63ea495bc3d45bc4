import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from '../config/load-config';
import { modeProblem, ModeProblem } from './file-modes';

/**
 * Start-up self-check of local files that hold secrets: `.env`, `DATA_DIR` and `DATA_DIR/secrets`.
 * Production refuses to start; development gets warnings.
 * `DATA_DIR` itself may be traversable (0711) so the embedded PostgreSQL, which runs as its own user, can reach
 * its data directory; it must not be listable or writable by others.
 */
export function filePermissionProblems(config: AppConfig, cwd = process.cwd()): ModeProblem[] {
  const problems: (ModeProblem | undefined)[] = [];
  const envFile = join(cwd, '.env');
  if (existsSync(envFile)) problems.push(modeProblem(envFile));
  problems.push(modeProblem(config.dataDir, { allowTraverse: true }));
  problems.push(modeProblem(join(config.dataDir, 'secrets')));
  return problems.filter((p): p is ModeProblem => !!p);
}
