import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { resetCoverage } from './openapi-answers';
import { assertTestDatabase, HarnessState, stateFile } from './test-env';

/**
 * One PostgreSQL for the whole run: `DATABASE_URL` when set (its database name must contain "test"), otherwise an
 * embedded server in a temporary directory. It names the run's template database; the first test file that needs a
 * database migrates it once, and each test file then gets its own copy (test/support/database.ts).
 */
export default async function globalSetup(): Promise<void> {
  process.env.JEST_RUN_ID ??= String(process.pid);
  resetCoverage();
  const templateDb = `sb_test_template_${process.env.JEST_RUN_ID}_${randomBytes(3).toString('hex')}`;
  const url = process.env.DATABASE_URL;
  if (url) {
    assertTestDatabase(url);
    writeState({ adminUrl: url, templateDb });
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'sb-test-pg-'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { EmbeddedServer } = require('../../libs/core/src/database/embedded-server');
  const server = new EmbeddedServer({ dataDir: dir, superuserPassword: 'test-superuser', persistent: false });
  await server.start();
  (globalThis as { __embeddedPg?: unknown }).__embeddedPg = server;
  const adminUrl = server.url('postgres', 'test-superuser', 'postgres');
  // A throw-away cluster: no test needs its writes to survive a crash, so commits do not wait for the disk.
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query('ALTER SYSTEM SET fsync = off');
    await admin.query('ALTER SYSTEM SET synchronous_commit = off');
    await admin.query('ALTER SYSTEM SET full_page_writes = off');
    await admin.query('SELECT pg_reload_conf()');
  } finally {
    await admin.end();
  }
  writeState({ adminUrl, embeddedDir: dir, templateDb });
}

function writeState(state: HarnessState): void {
  writeFileSync(stateFile(), JSON.stringify(state));
}
