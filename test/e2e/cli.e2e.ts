import { AuditService } from '@app/audit';
import { adminQuery } from '../support/database';
import { startTestApp, TestApp } from '../support/app';
import { assertBuilt, cleanEnv, CLI_MAIN, spawnNode } from '../support/process';

describe('cli audit:verify', () => {
  let t: TestApp;
  const env = () => cleanEnv({ DATABASE_URL: t.db.appUrl, MIGRATIONS_DATABASE_URL: t.db.ownerUrl, DATA_DIR: t.dataDir });

  beforeAll(async () => {
    assertBuilt();
    t = await startTestApp();
    const audit = t.app.get(AuditService);
    for (let i = 0; i < 5; i++) await audit.record({ action: 'test.cli', outcome: 'success', details: { i } });
  });
  afterAll(() => t?.stop());

  it('reports an intact chain', async () => {
    const proc = spawnNode(CLI_MAIN, ['audit:verify'], env());
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toContain('audit chain OK: 5 events verified');
  });

  it('names the first altered row and exits non-zero', async () => {
    const [row] = await adminQuery<{ id: string }>(t.db, 'SELECT id FROM audit_events ORDER BY id OFFSET 2 LIMIT 1');
    await adminQuery(t.db, `UPDATE audit_events SET details = '{"i": 99}' WHERE id = $1`, [row.id]);
    const proc = spawnNode(CLI_MAIN, ['audit:verify', '--json'], env());
    expect(await proc.exited).toBe(2);
    expect(JSON.parse(proc.output().trim().split('\n').pop()!)).toMatchObject({ ok: false, firstBadId: row.id, checked: 2 });
  });

  it('fails with one clear line on a bad configuration', async () => {
    const proc = spawnNode(CLI_MAIN, ['audit:verify'], cleanEnv({ DATABASE_URL: 'mysql://nope' }));
    expect(await proc.exited).toBe(1);
    expect(proc.output().trim().split('\n')).toHaveLength(2);
    expect(proc.output()).toMatch(/^error: Invalid configuration/);
  });
});
