import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resetCoverage } from './openapi-answers';
import { assertTestDatabase, stateFile } from './test-env';

/**
 * One PostgreSQL for the whole run: `DATABASE_URL` when set (its database name must contain "test"), otherwise an
 * embedded server in a temporary directory. Each test file then gets its own fresh, migrated database.
 */
export default async function globalSetup(): Promise<void> {
  process.env.JEST_RUN_ID ??= String(process.pid);
  resetCoverage();
  const url = process.env.DATABASE_URL;
  if (url) {
    assertTestDatabase(url);
    writeFileSync(stateFile(), JSON.stringify({ adminUrl: url }));
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'sb-test-pg-'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { EmbeddedServer } = require('../../libs/core/src/database/embedded-server');
  const server = new EmbeddedServer({ dataDir: dir, superuserPassword: 'test-superuser', persistent: false });
  await server.start();
  (globalThis as { __embeddedPg?: unknown }).__embeddedPg = server;
  writeFileSync(
    stateFile(),
    JSON.stringify({ adminUrl: server.url('postgres', 'test-superuser', 'postgres'), embeddedDir: dir }),
  );
}
