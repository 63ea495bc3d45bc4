import { AUDIT_RETENTION_JOB, AuditRetention, AuditService } from '@app/audit';
import { JobScheduler } from '@app/core';
import { DataSource } from 'typeorm';
import { AuditVerifyCommand } from '../../apps/cli/src/commands/audit-verify.command';
import { startTestApp, TestApp } from '../support/app';
import { adminQuery } from '../support/database';
import { TestClock } from '../support/test-clock';

const DAY = 86_400_000;

/** Retention on real PostgreSQL: purge with checkpoints, verify from the checkpoint, tampering still caught. */
describe('audit retention with checkpoints (real PostgreSQL)', () => {
  let t: TestApp;
  let audit: AuditService;
  let retention: AuditRetention;
  const clock = new TestClock();

  beforeAll(async () => {
    t = await startTestApp({ clock, env: { AUDIT_RETENTION_DAYS: '400', API_KEY_JOBS_INTERVAL_MS: '0' } });
    audit = t.app.get(AuditService);
    retention = t.app.get(AuditRetention);
  });
  afterAll(() => t?.stop());

  async function recordAt(daysAgo: number, count: number, action: string): Promise<void> {
    clock.advance(-daysAgo * DAY);
    try {
      for (let i = 0; i < count; i++)
        await audit.record({ action, outcome: 'success', actorId: `u${i}`, ip: '198.51.100.7', details: { i } });
    } finally {
      clock.advance(daysAgo * DAY);
    }
  }

  async function verifyOutput(): Promise<string> {
    let out = '';
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    try {
      await new AuditVerifyCommand(audit).run([], {});
    } finally {
      write.mockRestore();
    }
    process.exitCode = undefined;
    return out;
  }

  const count = async (sql: string) => Number((await adminQuery<{ n: string }>(t.db, sql))[0].n);

  it('is a job on the shared runner', () => {
    expect(t.app.get(JobScheduler).names).toContain(AUDIT_RETENTION_JOB);
  });

  it('purges expired events in checkpointed batches; the chain then verifies from the newest checkpoint', async () => {
    await recordAt(500, 12, 'test.old');
    await recordAt(401, 1, 'test.old');
    await recordAt(399, 2, 'test.kept');
    await audit.record({ action: 'test.kept', outcome: 'success' });
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 16 });

    expect(await retention.purge(5)).toEqual({ deleted: 13, checkpoints: 3 });
    expect(await count(`SELECT count(*) AS n FROM audit_events WHERE action = 'test.old'`)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM audit_checkpoints`)).toBe(3);
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: true, checked: 3, checkpoint: { deleted: 3 } });
    const [last] = await adminQuery<{ id: string; hash: string }>(
      t.db,
      `SELECT last_id::text AS id, last_hash AS hash FROM audit_checkpoints ORDER BY last_id DESC LIMIT 1`,
    );
    expect(result.checkpoint).toMatchObject({ lastId: last.id, lastHash: last.hash });
    expect(await verifyOutput()).toMatch(
      new RegExp(
        `^audit chain OK: 3 events verified from checkpoint after event ${last.id} \\(hash ${last.hash.slice(0, 16)}`,
      ),
    );
    // Nothing more has expired: a second run deletes nothing and writes no checkpoint.
    expect(await retention.purge(5)).toEqual({ deleted: 0, checkpoints: 0 });
  });

  it('after the purge, an altered, removed or resurrected event is BROKEN', async () => {
    const [first] = await adminQuery<{ id: string }>(t.db, `SELECT id::text FROM audit_events ORDER BY id LIMIT 1`);
    await adminQuery(t.db, `UPDATE audit_events SET action = 'test.forged' WHERE id = $1`, [first.id]);
    expect(await audit.verify()).toMatchObject({
      ok: false,
      firstBadId: first.id,
      reason: expect.stringMatching(/altered/),
    });
    expect(await verifyOutput()).toMatch(/^audit chain BROKEN at event \d+: .*from checkpoint after event/);
    await adminQuery(t.db, `UPDATE audit_events SET action = 'test.kept' WHERE id = $1`, [first.id]);
    expect((await audit.verify()).ok).toBe(true);

    // The first event after the checkpoint removed: its successor no longer links to the checkpoint's hash.
    const [row] = await adminQuery<Record<string, unknown>>(t.db, `SELECT * FROM audit_events WHERE id = $1`, [
      first.id,
    ]);
    await adminQuery(t.db, `DELETE FROM audit_events WHERE id = $1`, [first.id]);
    expect(await audit.verify()).toMatchObject({ ok: false, reason: expect.stringMatching(/link broken/) });
    const cols = Object.keys(row);
    await adminQuery(
      t.db,
      `INSERT INTO audit_events (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`,
      cols.map((c) => row[c]),
    );
    expect((await audit.verify()).ok).toBe(true);

    // A checkpoint forged past real events (to skip them) is caught: events it claims deleted are still there.
    await adminQuery(
      t.db,
      `INSERT INTO audit_checkpoints (last_id, last_hash, deleted, cutoff) VALUES ($1, $2, 1, now())`,
      [first.id, '0'.repeat(64)],
    );
    expect(await audit.verify()).toMatchObject({
      ok: false,
      firstBadId: expect.any(String),
      reason: expect.stringMatching(/still there/),
    });
    await adminQuery(t.db, `DELETE FROM audit_checkpoints WHERE last_id = $1`, [first.id]);
    expect((await audit.verify()).ok).toBe(true);
  });

  it('the app role cannot write checkpoints, delete events, purge recent events or an unverified prefix', async () => {
    const ds = t.app.get(DataSource);
    await expect(
      ds.query(`INSERT INTO audit_checkpoints (last_id, last_hash, deleted, cutoff) VALUES (1, $1, 1, now())`, [
        '0'.repeat(64),
      ]),
    ).rejects.toThrow(/permission denied/);
    await expect(ds.query(`DELETE FROM audit_checkpoints`)).rejects.toThrow(/permission denied/);
    await expect(ds.query(`DELETE FROM audit_events`)).rejects.toThrow(/permission denied/);
    const [row] = await adminQuery<{ id: string; hash: string }>(
      t.db,
      `SELECT id::text, hash FROM audit_events ORDER BY id DESC LIMIT 1`,
    );
    await expect(ds.query(`SELECT audit_purge_through($1, $2, now())`, [row.id, row.hash])).rejects.toThrow(
      /within the last day/,
    );
    await expect(
      ds.query(`SELECT audit_purge_through($1, $2, now() - interval '2 days')`, [row.id, 'f'.repeat(64)]),
    ).rejects.toThrow(/not the verified one/);
    await expect(
      ds.query(`SELECT audit_purge_through($1, $2, now() - interval '2 days')`, [row.id, row.hash]),
    ).rejects.toThrow(/not all older/);
    expect((await audit.verify()).ok).toBe(true);
  });
});

describe('audit retention over a tampered chain (real PostgreSQL)', () => {
  let t: TestApp;
  const clock = new TestClock();

  beforeAll(async () => {
    t = await startTestApp({ clock, env: { AUDIT_RETENTION_DAYS: '30', API_KEY_JOBS_INTERVAL_MS: '0' } });
  });
  afterAll(() => t?.stop());

  it('purges up to a tampered expired event and stops there: no checkpoint vouches for it', async () => {
    const audit = t.app.get(AuditService);
    clock.advance(-40 * DAY);
    for (let i = 0; i < 6; i++) await audit.record({ action: 'test.old', outcome: 'success', details: { i } });
    clock.advance(40 * DAY);
    const ids = (await adminQuery<{ id: string }>(t.db, `SELECT id::text FROM audit_events ORDER BY id`)).map(
      (r) => r.id,
    );
    await adminQuery(t.db, `UPDATE audit_events SET details = '{"i": 99}' WHERE id = $1`, [ids[3]]);
    await expect(t.app.get(AuditRetention).purge(2)).rejects.toThrow(`audit chain broken at event ${ids[3]}`);
    const left = (await adminQuery<{ id: string }>(t.db, `SELECT id::text FROM audit_events ORDER BY id`)).map(
      (r) => r.id,
    );
    expect(left).toEqual(ids.slice(2));
    expect(await audit.verify()).toMatchObject({ ok: false, firstBadId: ids[3], checkpoint: { lastId: ids[1] } });
  });
});
