import { runWithRequestContext } from '@app/core';
import { fakeAudit } from '../../../test/fakes/audit';
import { FakeDatabase, ManualClock } from '../../../test/fakes/core';
import { chainHash, GENESIS_HASH } from './audit-chain';
import { AuditEntry } from './audit.service';
import { AuditEvent } from './entities/audit-event.entity';

function setup() {
  const db = new FakeDatabase();
  const clock = new ManualClock();
  return { db, clock, ...fakeAudit(db, clock) };
}

const entry = (n: number, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  action: 'auth.login',
  outcome: 'success',
  actorId: `user-${n}`,
  targetType: 'user',
  targetId: `user-${n}`,
  ip: `10.0.0.${n}`,
  userAgent: 'jest',
  requestId: `req-${n}`,
  details: { n },
  ...extra,
});

async function recordMany(s: ReturnType<typeof setup>, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) {
    await s.audit.record(entry(i));
    s.clock.advance(1000);
  }
}

describe('AuditService', () => {
  describe('record', () => {
    it('links every row to the one before it, the first to the genesis hash', async () => {
      const s = setup();
      await recordMany(s, 3);
      const [a, b, c] = s.auditRepo.rows;
      expect(a.prevHash).toBe(GENESIS_HASH);
      expect(b.prevHash).toBe(a.hash);
      expect(c.prevHash).toBe(b.hash);
      expect(new Set([a.hash, b.hash, c.hash]).size).toBe(3);
      expect(a).toMatchObject({ chainVersion: 2, occurredAt: new Date('2026-03-01T12:00:00.000Z') });
      expect(await s.audit.verify()).toEqual({ ok: true, checked: 3, redacted: 0 });
    });

    it("commits and rolls back with the caller's transaction", async () => {
      const s = setup();
      await expect(
        s.db.transaction(async (em) => {
          await s.audit.record(entry(1), em);
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      expect(s.auditRepo.rows).toEqual([]);
      await s.db.transaction((em) => s.audit.record(entry(2), em));
      expect(s.auditRepo.rows.map((r) => r.actorId)).toEqual(['user-2']);
      expect(s.auditRepo.rows[0].prevHash).toBe(GENESIS_HASH);
    });

    it('salts the personal-data digest per row, so equal events do not share a digest', async () => {
      const s = setup();
      await s.audit.record(entry(1));
      await s.audit.record(entry(1));
      const [a, b] = s.auditRepo.rows;
      expect(a.piiSalt).toMatch(/^[0-9a-f]{32}$/);
      expect(a.piiSalt).not.toBe(b.piiSalt);
      expect(a.piiDigest).not.toBe(b.piiDigest);
    });

    it('takes the actor type from the actor, and ip, agent and request id from the request unless given', async () => {
      const s = setup();
      await runWithRequestContext({ requestId: 'req-ctx', ip: '192.0.2.7', userAgent: 'curl/8' }, async () => {
        await s.audit.record({ action: 'a.one', outcome: 'success', actorId: 'u1' });
        await s.audit.record({ action: 'a.two', outcome: 'failure' });
        await s.audit.record({ action: 'a.three', outcome: 'denied', ip: null, userAgent: null, requestId: 'mine' });
        await s.audit.record({ action: 'a.four', outcome: 'success', actorType: 'system' });
      });
      expect(s.auditRepo.rows.map((r) => [r.actorType, r.ip, r.userAgent, r.requestId])).toEqual([
        ['user', '192.0.2.7', 'curl/8', 'req-ctx'],
        ['anonymous', '192.0.2.7', 'curl/8', 'req-ctx'],
        ['anonymous', null, null, 'mine'],
        ['system', '192.0.2.7', 'curl/8', 'req-ctx'],
      ]);
      expect(s.auditRepo.rows[0].details).toEqual({});
    });
  });

  describe('verify', () => {
    it('names the first row whose content was altered', async () => {
      const s = setup();
      await recordMany(s, 4);
      s.auditRepo.rows[2].outcome = 'failure';
      expect(await s.audit.verify()).toMatchObject({ ok: false, checked: 2, firstBadId: '3' });
      expect((await s.audit.verify()).reason).toMatch(/altered/);
    });

    it('notices a changed personal field through the row digest', async () => {
      const s = setup();
      await recordMany(s, 2);
      s.auditRepo.rows[1].ip = '203.0.113.9';
      expect(await s.audit.verify()).toMatchObject({ ok: false, firstBadId: '2' });
      s.auditRepo.rows[1].ip = '10.0.0.2';
      s.auditRepo.rows[1].details = { n: 3 };
      expect(await s.audit.verify()).toMatchObject({ ok: false, firstBadId: '2' });
    });

    it('notices a removed or reordered row by the broken link, across batch boundaries', async () => {
      const s = setup();
      await recordMany(s, 7);
      expect(await s.audit.verify(2)).toEqual({ ok: true, checked: 7, redacted: 0 });
      const removed = s.auditRepo.rows.splice(4, 1);
      const result = await s.audit.verify(2);
      expect(result).toMatchObject({ ok: false, checked: 4, firstBadId: '6' });
      expect(result.reason).toMatch(/link broken/);
      s.auditRepo.rows.splice(4, 0, ...removed);
      expect((await s.audit.verify(2)).ok).toBe(true);
      // Rows 2 and 3 trade places (and ids).
      const [two, three] = [s.auditRepo.rows[1], s.auditRepo.rows[2]];
      [two.id, three.id] = [three.id, two.id];
      s.auditRepo.rows.sort((a, b) => Number(a.id) - Number(b.id));
      expect(await s.audit.verify(2)).toMatchObject({ ok: false, checked: 1, firstBadId: '2' });
    });

    it('still verifies a row whose personal fields were erased, and counts it', async () => {
      const s = setup();
      await recordMany(s, 3);
      // What pseudonymiseUser's UPDATE does to a chain-v2 row.
      Object.assign(s.auditRepo.rows[1], {
        actorId: 'erased-1',
        targetId: 'erased-1',
        ip: null,
        userAgent: null,
        details: {},
        piiSalt: null,
        redactedAt: s.clock.now(),
      });
      expect(await s.audit.verify()).toEqual({ ok: true, checked: 3, redacted: 1 });
      // An unredacted row may not drop its salt, nor any row its digest.
      s.auditRepo.rows[1].redactedAt = null;
      expect(await s.audit.verify()).toMatchObject({ ok: false, firstBadId: '2' });
      s.auditRepo.rows[1].redactedAt = s.clock.now();
      s.auditRepo.rows[1].piiDigest = null;
      expect(await s.audit.verify()).toMatchObject({ ok: false, firstBadId: '2' });
    });

    it('verifies version-1 rows over all their fields, then chains version-2 rows onto them', async () => {
      const s = setup();
      const v1 = Object.assign(new AuditEvent(), {
        id: '1',
        occurredAt: s.clock.now(),
        actorType: 'user',
        actorId: 'u1',
        action: 'auth.login',
        targetType: null,
        targetId: null,
        outcome: 'success',
        ip: '10.0.0.1',
        userAgent: null,
        requestId: 'r1',
        details: { legacy: true },
        chainVersion: 1,
        piiSalt: null,
        piiDigest: null,
        redactedAt: null,
        prevHash: GENESIS_HASH,
      } satisfies Omit<AuditEvent, 'hash'>);
      v1.hash = chainHash(GENESIS_HASH, v1);
      s.auditRepo.rows.push(v1);
      await s.auditRepo.nextId(); // the sequence has handed out id 1
      await s.audit.record(entry(2));
      expect(s.auditRepo.rows[1].prevHash).toBe(v1.hash);
      expect(await s.audit.verify()).toEqual({ ok: true, checked: 2, redacted: 0 });
      v1.ip = '10.0.0.99';
      expect(await s.audit.verify()).toMatchObject({ ok: false, firstBadId: '1' });
    });
  });

  describe('reading', () => {
    it('pages events about one object newest first, with a cursor only when more remain', async () => {
      const s = setup();
      for (let i = 1; i <= 5; i++) await s.audit.record(entry(1, { details: { i } }));
      await s.audit.record(entry(2));
      const first = await s.audit.listForTarget('user', 'user-1', 2);
      expect(first.items.map((e) => e.details)).toEqual([{ i: 5 }, { i: 4 }]);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await s.audit.listForTarget('user', 'user-1', 2, first.nextCursor!);
      expect(second.items.map((e) => e.details)).toEqual([{ i: 3 }, { i: 2 }]);
      const last = await s.audit.listForTarget('user', 'user-1', 2, second.nextCursor!);
      expect(last.items.map((e) => e.details)).toEqual([{ i: 1 }]);
      expect(last.nextCursor).toBeNull();
    });

    it('shows ISO times, the target and user agent, and leaves hashes, digests and salts out of views', async () => {
      const s = setup();
      await s.audit.record(entry(1));
      const [view] = await s.audit.aboutUser('user-1');
      expect(view).toEqual({
        id: '1',
        occurredAt: '2026-03-01T12:00:00.000Z',
        action: 'auth.login',
        outcome: 'success',
        actorType: 'user',
        actorId: 'user-1',
        targetType: 'user',
        targetId: 'user-1',
        ip: '10.0.0.1',
        userAgent: 'jest',
        requestId: 'req-1',
        details: { n: 1 },
        redacted: false,
      });
    });
  });
});
