import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSecretFingerprints, loadConfig, SecretError, SecretStore } from '@app/core';
import { Client } from 'pg';
import { startTestApp } from '../support/app';
import { adminQuery, createTestDatabase, TestDatabase } from '../support/database';

const key = () => `v1:${randomBytes(32).toString('base64')}`;

/** Instances on one database with other secrets (issue 23 item 13): refused at start, naming variable and version. */
describe('secret fingerprints (real PostgreSQL)', () => {
  let db: TestDatabase;
  const dirs: string[] = [];
  const store = (env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-fp-'));
    dirs.push(dir);
    return SecretStore.load(loadConfig({ NODE_ENV: 'test', DATA_DIR: dir, ...env }), undefined, {
      embeddedDatabase: false,
    });
  };
  const refusal = (env: Record<string, string>) =>
    checkSecretFingerprints(db.appUrl, store(env)).then(
      () => 'accepted',
      (e: Error) => (e instanceof SecretError ? e.message : `unexpected ${e.message}`),
    );

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('records each version at first use, accepts the same material, refuses other material by name', async () => {
    const pepper = '1:the-cluster-pepper-0123456789';
    const keys = key();
    expect(await checkSecretFingerprints(db.appUrl, store({ API_KEY_PEPPERS: pepper, ENCRYPTION_KEYS: keys }))).toEqual(
      {
        recorded: ['API_KEY_PEPPERS 1', 'ENCRYPTION_KEYS v1'],
      },
    );
    const rows = await adminQuery<{ variable: string; version: string; fingerprint: string }>(
      db,
      'SELECT variable, version, fingerprint FROM secret_fingerprints ORDER BY variable',
    );
    expect(rows.map((r) => `${r.variable} ${r.version}`)).toEqual(['API_KEY_PEPPERS 1', 'ENCRYPTION_KEYS v1']);
    for (const r of rows) {
      expect(r.fingerprint).toMatch(/^scrypt\$N=16384,r=8,p=1\$/);
      expect(r.fingerprint).not.toContain('the-cluster-pepper');
      expect(r.fingerprint).not.toContain(keys.slice(3, 20));
    }
    expect(await refusal({ API_KEY_PEPPERS: pepper, ENCRYPTION_KEYS: keys })).toBe('accepted');

    expect(await refusal({ API_KEY_PEPPERS: '1:another-pepper-0123456789', ENCRYPTION_KEYS: keys })).toMatch(
      /^API_KEY_PEPPERS version 1 differs from the one this database was first used with/,
    );
    expect(await refusal({ API_KEY_PEPPERS: pepper, ENCRYPTION_KEYS: key() })).toMatch(
      /^ENCRYPTION_KEYS version v1 differs from the one this database was first used with/,
    );
    // A generated development secret (none given) is other material too.
    expect(await refusal({})).toMatch(/version (1|v1) differs/);

    // A new version is accepted and recorded; a process holding only some versions is fine; a wrong new one is not.
    const rotated = `2:the-next-pepper-0123456789,${pepper}`;
    expect(
      await checkSecretFingerprints(db.appUrl, store({ API_KEY_PEPPERS: rotated, ENCRYPTION_KEYS: keys })),
    ).toEqual({
      recorded: ['API_KEY_PEPPERS 2'],
    });
    expect(await refusal({ API_KEY_PEPPERS: '2:the-next-pepper-0123456789', ENCRYPTION_KEYS: keys })).toBe('accepted');
    expect(await refusal({ API_KEY_PEPPERS: `2:not-the-next-pepper-012345,${pepper}`, ENCRYPTION_KEYS: keys })).toMatch(
      /^API_KEY_PEPPERS version 2 differs/,
    );
  });

  it('the app role can record fingerprints but never rewrite or remove them', async () => {
    const app = new Client({ connectionString: db.appUrl });
    await app.connect();
    try {
      await expect(app.query(`UPDATE secret_fingerprints SET fingerprint = 'x'`)).rejects.toThrow(/permission denied/);
      await expect(app.query('DELETE FROM secret_fingerprints')).rejects.toThrow(/permission denied/);
    } finally {
      await app.end();
    }
  });

  it('a second in-process instance with another pepper on the same database fails to start, naming it', async () => {
    const first = await startTestApp();
    try {
      await expect(
        startTestApp({ db: first.db, env: { API_KEY_PEPPERS: '1:a-different-pepper-0123456789' } }),
      ).rejects.toThrow(/^API_KEY_PEPPERS version 1 differs/);
    } finally {
      await first.stop();
    }
  });
});
