import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretStore as SecretStoreRef } from '@app/core';
import { startTestApp, TestApp } from '../support/app';
import { adminQuery } from '../support/database';
import { assertBuilt, API_MAIN, cleanEnv, CLI_MAIN, spawnNode } from '../support/process';

/**
 * Issue 23 item 13: a second instance, or the CLI, started on the same database with other secrets exits non-zero
 * with one line naming the mismatched variable and version (before this, it ran and every key was API_KEY_INVALID).
 */
describe('cluster secrets: other secrets on the same database are refused (processes)', () => {
  let t: TestApp;
  const env = (extra: Record<string, string>) =>
    cleanEnv({
      DATABASE_URL: t.db.appUrl,
      MIGRATIONS_DATABASE_URL: t.db.ownerUrl,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'sb-other-secrets-')),
      PORT: '0',
      ...extra,
    });

  beforeAll(async () => {
    assertBuilt();
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  it('a second instance with freshly generated secrets exits 1 naming API_KEY_PEPPERS version 1', async () => {
    const proc = spawnNode(API_MAIN, [], env({}));
    expect(await proc.closed).toBe(1);
    const lines = proc
      .output()
      .split('\n')
      .filter((l) => l.startsWith('security-backend: failed to start'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^security-backend: failed to start: (API_KEY_PEPPERS version 1|ENCRYPTION_KEYS version v1) differs from the one this database was first used with/,
    );
  });

  it('an instance with the right pepper but another encryption key exits 1 naming ENCRYPTION_KEYS version v1', async () => {
    const [pepper] = await adminQuery<{ n: number }>(t.db, 'SELECT count(*)::int AS n FROM secret_fingerprints');
    expect(pepper.n).toBe(2);
    const proc = spawnNode(
      API_MAIN,
      [],
      env({ API_KEY_PEPPERS: t.app.get(SecretStoreRef).require('API_KEY_PEPPERS') }),
    );
    expect(await proc.closed).toBe(1);
    expect(proc.output()).toMatch(
      /security-backend: failed to start: ENCRYPTION_KEYS version v1 differs from the one this database was first used with/,
    );
  });

  it('the CLI with other secrets exits 1 with one line naming the variable and version', async () => {
    const proc = spawnNode(
      CLI_MAIN,
      ['keys:report'],
      env({ ENCRYPTION_KEYS: t.app.get(SecretStoreRef).require('ENCRYPTION_KEYS') }),
    );
    expect(await proc.closed).toBe(1);
    expect(proc.output().trim()).toMatch(
      /^error: API_KEY_PEPPERS version 1 differs from the one this database was first used with .*refusing to start$/,
    );
    const ok = spawnNode(CLI_MAIN, ['keys:report'], { ...env({}), DATA_DIR: t.dataDir });
    expect(await ok.closed).toBe(0);
  });
});
