import type { Principal } from '@app/core';
import { fakeAudit } from '../../../test/fakes/audit';
import { FakeDatabase, ManualClock, unitCursors } from '../../../test/fakes/core';
import { AuditQueryService, EXPORT_BATCH } from './audit-query.service';
import type { AuditRepository } from './audit.repository';
import { AUDIT_TYPE_FAMILIES, AUDIT_TYPE_PATTERN } from './dto/audit-query.dto';

const person = (userId: string, scopes = ['audit:read']): Principal => ({
  kind: 'session',
  userId,
  role: scopes.includes('admin:all') ? 'admin' : 'user',
  scopes,
  emailVerified: true,
});

async function setup() {
  const db = new FakeDatabase();
  const clock = new ManualClock();
  const { audit, auditRepo } = fakeAudit(db, clock);
  const query = new AuditQueryService(auditRepo as unknown as AuditRepository, audit, unitCursors());
  for (const [actor, target, action] of [
    ['alice', 'session-1', 'auth.login'],
    [null, 'alice', 'auth.login'],
    ['bob', 'session-2', 'auth.login'],
    ['bob', 'alice', 'admin.user_disable'],
    ['bob', 'key-1', 'api_key.create'],
  ] as const) {
    await audit.record({
      action,
      outcome: actor ? 'success' : 'failure',
      actorId: actor,
      targetType: target === 'alice' ? 'user' : 'other',
      targetId: target,
      details: actor ? {} : { reason: 'wrong_password' },
    });
    clock.advance(1000);
  }
  return { query, auditRepo };
}

describe('AuditQueryService', () => {
  it('holds a reader without admin:all to their own events (as actor or target user), newest first', async () => {
    const { query, auditRepo } = await setup();
    const page = await query.list(person('alice'), {});
    expect(page.items.map((e) => [e.actorId, e.action])).toEqual([
      ['bob', 'admin.user_disable'],
      [null, 'auth.login'],
      ['alice', 'auth.login'],
    ]);
    expect((await query.list(person('alice'), { actorId: 'bob', type: 'api_key' })).items).toEqual([]);
    expect(auditRepo.actions('audit.read')).toEqual([]); // reading one's own events is not recorded
  });

  it('gives admin:all everyone’s events, filtered, and records that read', async () => {
    const { query, auditRepo } = await setup();
    const admin = person('root', ['audit:read', 'admin:all']);
    const page = await query.list(admin, { type: 'auth.login', limit: 2 });
    expect(page.items.map((e) => e.actorId)).toEqual(['bob', null]);
    const next = await query.list(admin, { type: 'auth.login', limit: 2, cursor: page.nextCursor! });
    expect(next.items.map((e) => e.actorId)).toEqual(['alice']);
    const reads = auditRepo.actions('audit.read');
    expect(reads).toHaveLength(2);
    expect(reads[0]).toMatchObject({ actorId: 'root', details: { filters: { type: 'auth.login' }, returned: 2 } });
  });

  it('exports NDJSON a batch at a time and records an admin export', async () => {
    const { query, auditRepo } = await setup();
    const chunks: string[] = [];
    for await (const c of await query.export(person('alice'), {})) chunks.push(String(c));
    expect(chunks).toHaveLength(1); // fewer rows than EXPORT_BATCH: one query, one chunk
    expect(EXPORT_BATCH).toBeGreaterThan(3);
    const lines = chunks
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string });
    expect(lines.map((l) => l.action)).toEqual(['admin.user_disable', 'auth.login', 'auth.login']);
    await (await query.export(person('root', ['admin:all']), { type: 'auth' })).toArray();
    expect(auditRepo.actions('audit.export')).toHaveLength(1);
  });

  it('shows a person their sign-ins with factor and reason', async () => {
    const { query } = await setup();
    const activity = await query.securityActivity(person('alice'));
    expect(activity.signIns.map((e) => [e.outcome, e.factor, e.reason])).toEqual([
      ['failure', null, 'wrong_password'],
      ['success', 'password', null],
    ]);
    expect(activity.apiKeys).toEqual([]);
  });

  it('allows exactly the listed families in ?type', () => {
    for (const f of AUDIT_TYPE_FAMILIES) {
      expect(AUDIT_TYPE_PATTERN.test(f)).toBe(true);
      expect(AUDIT_TYPE_PATTERN.test(`${f}.lo`)).toBe(true);
    }
    for (const bad of ['foo', 'auth%', 'auth.', '_', 'authx', 'auth.login%', 'Auth']) {
      expect([bad, AUDIT_TYPE_PATTERN.test(bad)]).toEqual([bad, bad === 'auth.']);
    }
  });
});
