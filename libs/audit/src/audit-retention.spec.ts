import type { JobScheduler } from '@app/core';
import { fakeAudit } from '../../../test/fakes/audit';
import { FakeDatabase, ManualClock, unitConfig } from '../../../test/fakes/core';
import { AUDIT_RETENTION_JOB, AuditRetention } from './audit-retention';
import type { AuditRepository } from './audit.repository';

const DAY = 86_400_000;

function setup(days: string) {
  const db = new FakeDatabase();
  const clock = new ManualClock();
  const { audit, auditRepo } = fakeAudit(db, clock);
  const registered: string[] = [];
  const scheduler = { register: (j: { name: string }) => registered.push(j.name) } as unknown as JobScheduler;
  const retention = new AuditRetention(
    auditRepo as unknown as AuditRepository,
    scheduler,
    clock,
    unitConfig({ AUDIT_RETENTION_DAYS: days }),
  );
  retention.onModuleInit();
  return { audit, auditRepo, clock, retention, registered };
}

describe('AuditRetention', () => {
  it('deletes the expired prefix batch by batch, a checkpoint each, and the chain verifies from the last', async () => {
    const s = setup('10');
    expect(s.registered).toEqual([AUDIT_RETENTION_JOB]);
    for (let i = 0; i < 7; i++) await s.audit.record({ action: 'test.old', outcome: 'success' });
    s.clock.advance(11 * DAY);
    await s.audit.record({ action: 'test.new', outcome: 'success' });
    expect(await s.retention.purge(3)).toEqual({ deleted: 7, checkpoints: 3 });
    expect(s.auditRepo.allActions()).toEqual(['test.new']);
    expect(s.auditRepo.checkpoints.map((c) => [c.lastId, c.deleted])).toEqual([
      ['3', 3],
      ['6', 3],
      ['7', 1],
    ]);
    expect(await s.audit.verify()).toMatchObject({ ok: true, checked: 1, checkpoint: { lastId: '7' } });
  });

  it('keeps everything with AUDIT_RETENTION_DAYS=0', async () => {
    const s = setup('0');
    await s.audit.record({ action: 'test.old', outcome: 'success' });
    s.clock.advance(5000 * DAY);
    expect(await s.retention.purge()).toEqual({ deleted: 0, checkpoints: 0 });
    expect(s.auditRepo.rows).toHaveLength(1);
  });

  it('stops at a tampered event: nothing from it on is deleted', async () => {
    const s = setup('1');
    for (let i = 0; i < 4; i++) await s.audit.record({ action: 'test.old', outcome: 'success' });
    s.clock.advance(2 * DAY);
    s.auditRepo.rows[2].outcome = 'failure';
    await expect(s.retention.purge(2)).rejects.toThrow('audit chain broken at event 3');
    expect(s.auditRepo.rows.map((r) => r.id)).toEqual(['3', '4']);
  });
});
