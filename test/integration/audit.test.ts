import { AuditService, chainHash } from '@app/audit';
import { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { adminQuery, TestDatabase } from '../support/database';
import { startTestApp, TestApp } from '../support/app';

describe('audit log (real PostgreSQL)', () => {
  let t: TestApp;
  let audit: AuditService;
  let db: TestDatabase;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.db;
    audit = (t.app as INestApplicationContext).get(AuditService);
  });
  afterAll(() => t?.stop());

  it('chains events written in parallel and verifies the chain', async () => {
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        audit.record({
          action: 'test.event',
          outcome: 'success',
          actorId: `u${i}`,
          details: { i, nested: { b: 2, a: 1 } },
        }),
      ),
    );
    const result = await audit.verify(7);
    expect(result).toEqual({ ok: true, checked: 25, redacted: 0 });
  });

  it('commits or rolls back with the change it records', async () => {
    const ds = t.app.get(DataSource);
    const before = await audit.verify();
    await expect(
      ds.transaction(async (em) => {
        await audit.record({ action: 'test.rolled_back', outcome: 'success' }, em);
        throw new Error('change failed');
      }),
    ).rejects.toThrow('change failed');
    expect((await audit.verify()).checked).toBe(before.checked);
  });

  it('the app role cannot update or delete audit rows', async () => {
    const ds = t.app.get(DataSource);
    await expect(ds.query(`UPDATE audit_events SET outcome = 'failure'`)).rejects.toThrow(/permission denied/);
    await expect(ds.query(`DELETE FROM audit_events`)).rejects.toThrow(/permission denied/);
    await expect(ds.query(`CREATE TABLE sneaky (id int)`)).rejects.toThrow(/permission denied/);
  });

  it('names the first altered row after tampering by SQL', async () => {
    const rows = await adminQuery<{ id: string }>(db, 'SELECT id FROM audit_events ORDER BY id LIMIT 1 OFFSET 10');
    const target = rows[0].id;
    await adminQuery(db, `UPDATE audit_events SET outcome = 'failure' WHERE id = $1`, [target]);
    expect(await audit.verify()).toMatchObject({
      ok: false,
      firstBadId: target,
      checked: 10,
      reason: expect.stringMatching(/altered/),
    });
    await adminQuery(db, `UPDATE audit_events SET outcome = 'success' WHERE id = $1`, [target]);
    expect((await audit.verify()).ok).toBe(true);
  });

  it('detects a change to a row’s personal fields (they are covered by a salted digest)', async () => {
    await audit.record({
      action: 'test.pii',
      outcome: 'success',
      actorId: 'user-x',
      ip: '198.51.100.4',
      details: { email: 'x@example.com' },
    });
    const [row] = await adminQuery<{ id: string }>(db, `SELECT id FROM audit_events WHERE action = 'test.pii'`);
    await adminQuery(db, `UPDATE audit_events SET ip = '203.0.113.9' WHERE id = $1`, [row.id]);
    expect(await audit.verify()).toMatchObject({ ok: false, firstBadId: row.id });
    await adminQuery(db, `UPDATE audit_events SET ip = '198.51.100.4' WHERE id = $1`, [row.id]);
    expect((await audit.verify()).ok).toBe(true);
  });

  it('erasure pseudonymises a user’s events and the chain still verifies; the app role can touch only those columns', async () => {
    const ds = t.app.get(DataSource);
    await audit.record({
      action: 'test.erase',
      outcome: 'success',
      actorId: 'user-erased',
      ip: '198.51.100.7',
      userAgent: 'curl',
      details: { email: 'gone@example.com' },
    });
    await audit.record({
      action: 'test.erase',
      outcome: 'success',
      actorId: 'admin-1',
      targetType: 'user',
      targetId: 'user-erased',
    });
    const result = await ds.transaction((em) => audit.pseudonymiseUser('user-erased', 'erased-0123456789abcdef', em));
    expect(result).toEqual({ redacted: 2, keptV1: 0 });
    const rows = await adminQuery<{
      actor_id: string;
      target_id: string | null;
      ip: string | null;
      details: object;
      redacted_at: Date | null;
    }>(
      db,
      `SELECT actor_id, target_id, ip, details, redacted_at FROM audit_events WHERE action = 'test.erase' ORDER BY id`,
    );
    expect(JSON.stringify(rows)).not.toMatch(/user-erased|gone@example\.com|198\.51\.100\.7/);
    expect(rows[0]).toMatchObject({ actor_id: 'erased-0123456789abcdef', ip: null, details: {} });
    expect(rows[1]).toMatchObject({ actor_id: 'admin-1', target_id: 'erased-0123456789abcdef' });
    const verdict = await audit.verify();
    expect(verdict).toMatchObject({ ok: true, redacted: 2 });
    await expect(ds.query(`UPDATE audit_events SET hash = repeat('0', 64)`)).rejects.toThrow(/permission denied/);
    await expect(ds.query(`UPDATE audit_events SET pii_digest = repeat('0', 64)`)).rejects.toThrow(/permission denied/);
    await expect(ds.query(`UPDATE audit_events SET action = 'x'`)).rejects.toThrow(/permission denied/);
  });

  it('rows written before chain version 2 still verify', async () => {
    const [last] = await adminQuery<{ id: string; hash: string }>(
      db,
      'SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1',
    );
    const id = String(BigInt(last.id) + 1000n);
    const row = {
      id,
      occurredAt: new Date('2026-01-01T00:00:00Z'),
      actorType: 'system',
      actorId: null,
      action: 'legacy.v1',
      targetType: null,
      targetId: null,
      outcome: 'success',
      ip: null,
      userAgent: null,
      requestId: null,
      details: { old: true },
    };
    await adminQuery(
      db,
      `INSERT INTO audit_events (id, occurred_at, actor_type, action, outcome, details, prev_hash, hash, chain_version) VALUES ($1, $2, 'system', 'legacy.v1', 'success', '{"old": true}', $3, $4, 1)`,
      [id, row.occurredAt, last.hash, chainHash(last.hash, row)],
    );
    expect((await audit.verify()).ok).toBe(true);
    await adminQuery(db, `UPDATE audit_events SET details = '{"old": false}' WHERE id = $1`, [id]);
    expect(await audit.verify()).toMatchObject({ ok: false, firstBadId: id });
    await adminQuery(db, `DELETE FROM audit_events WHERE id = $1`, [id]);
  });

  it('detects a deleted row by the broken link', async () => {
    const rows = await adminQuery<{ id: string }>(db, 'SELECT id FROM audit_events ORDER BY id LIMIT 2 OFFSET 4');
    await adminQuery(db, 'DELETE FROM audit_events WHERE id = $1', [rows[0].id]);
    expect(await audit.verify()).toMatchObject({
      ok: false,
      firstBadId: rows[1].id,
      reason: expect.stringMatching(/link broken/),
    });
  });
});
