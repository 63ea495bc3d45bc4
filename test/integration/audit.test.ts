import { AuditService } from '@app/audit';
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
      Array.from({ length: 25 }, (_, i) => audit.record({ action: 'test.event', outcome: 'success', actorId: `u${i}`, details: { i, nested: { b: 2, a: 1 } } })),
    );
    const result = await audit.verify(7);
    expect(result).toEqual({ ok: true, checked: 25 });
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
    expect(await audit.verify()).toMatchObject({ ok: false, firstBadId: target, checked: 10, reason: expect.stringMatching(/altered/) });
    await adminQuery(db, `UPDATE audit_events SET outcome = 'success' WHERE id = $1`, [target]);
    expect((await audit.verify()).ok).toBe(true);
  });

  it('detects a deleted row by the broken link', async () => {
    const rows = await adminQuery<{ id: string }>(db, 'SELECT id FROM audit_events ORDER BY id LIMIT 2 OFFSET 4');
    await adminQuery(db, 'DELETE FROM audit_events WHERE id = $1', [rows[0].id]);
    expect(await audit.verify()).toMatchObject({ ok: false, firstBadId: rows[1].id, reason: expect.stringMatching(/link broken/) });
  });
});
