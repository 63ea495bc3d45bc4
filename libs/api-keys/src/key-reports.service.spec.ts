import type { AuthService, PasswordHasher, SessionsService } from '@app/auth';
import { DomainException, Principal, SecretStore, StepUpWindow } from '@app/core';
import { FakeApiKeysRepository } from '../../../test/fakes/api-keys';
import { fakeAudit } from '../../../test/fakes/audit';
import {
  FakeChangeFeed,
  FakeDatabase,
  ManualClock,
  SequenceRandom,
  unitConfig,
  unitCursors,
} from '../../../test/fakes/core';
import { fakeNotifications } from '../../../test/fakes/notifications';
import { ApiKeyErrorCode } from './api-key-error-codes';
import { ApiKeysService } from './api-keys.service';
import { KeyHasher } from './key-hasher';
import { KeyReportsService } from './key-reports.service';
import { UsageRecorder } from './usage/usage-recorder';

const DAY = 86_400_000;
const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const alice: Principal = {
  kind: 'session',
  emailVerified: true,
  userId: ALICE,
  role: 'user',
  scopes: ['profiles:read'],
};
const bob: Principal = { kind: 'session', emailVerified: true, userId: BOB, role: 'user', scopes: ['profiles:read'] };
/** Signed in when the tests' clock starts (so inside the step-up window a key with admin:all needs). */
const admin: Principal = {
  kind: 'session',
  emailVerified: true,
  userId: 'admin',
  role: 'admin',
  scopes: ['admin:all'],
  authenticatedAt: new Date('2026-03-10T12:00:00.000Z'),
};

function setup() {
  const config = unitConfig();
  const pepper = '1:pepper-for-unit-tests-only';
  const secrets = { get: () => pepper, require: () => pepper } as unknown as SecretStore;
  const db = new FakeDatabase();
  const clock = new ManualClock('2026-03-10T12:00:00.000Z');
  const repo = new FakeApiKeysRepository(db);
  const { audit } = fakeAudit(db, clock);
  const keys = new ApiKeysService(
    repo.asRepository(),
    new KeyHasher(config, secrets, {} as PasswordHasher),
    audit,
    fakeNotifications(db, clock, config).notifications,
    { me: async () => ({ email: 'x@example.test' }) } as unknown as AuthService,
    { assertNotRevoked: async () => undefined } as unknown as SessionsService,
    new FakeChangeFeed().asChangeFeed(),
    clock,
    new SequenceRandom(),
    config,
    new StepUpWindow(clock, config),
    unitCursors(),
  );
  const usage = new UsageRecorder(repo.asRepository(), clock, config);
  const reports = new KeyReportsService(repo.asRepository(), keys, usage, audit, clock);
  return { repo, clock, keys, usage, reports };
}

describe('KeyReportsService.usageOf', () => {
  it('includes the uses this instance has not written yet, per outcome and per day, with the success rate', async () => {
    const { keys, usage, reports, clock, repo } = setup();
    const key = await keys.create(alice, { name: 'ci', scopes: ['profiles:read'] });
    clock.set('2026-03-09T08:00:00.000Z');
    usage.record(key.id, 'VALID', '203.0.113.5');
    usage.record(key.id, 'RATE_LIMITED', '203.0.113.5');
    clock.set('2026-03-10T09:00:00.000Z');
    usage.record(key.id, 'VALID', '203.0.113.9');
    usage.record(key.id, 'VALID', '203.0.113.9');
    expect(repo.usageBatches).toHaveLength(0);

    const report = await reports.usageOf(alice, key.id, {});
    expect(report).toMatchObject({
      keyId: key.id,
      totalRequests: 4,
      lastUsedAt: '2026-03-10T09:00:00.000Z',
      lastUsedIp: '203.0.113.9',
      successRate: 0.75,
      byOutcome: { VALID: 3, RATE_LIMITED: 1 },
      byDay: [
        { day: '2026-03-09', total: 2, byOutcome: { VALID: 1, RATE_LIMITED: 1 } },
        { day: '2026-03-10', total: 2, byOutcome: { VALID: 2 } },
      ],
    });
    expect(report.recentEvents.items.map((e) => e.action)).toEqual(['api_key.create']);
  });

  it('covers the last 30 days only, and rounds the success rate to four places', async () => {
    const { keys, usage, reports, clock } = setup();
    const key = await keys.create(alice, { name: 'ci', scopes: ['profiles:read'] });
    clock.set('2026-02-08T12:00:00.000Z'); // 30 days before 2026-03-10: outside the window
    usage.record(key.id, 'VALID', undefined);
    clock.set('2026-02-09T00:00:00.000Z'); // the 30th day counting today: inside
    for (let i = 0; i < 2; i++) usage.record(key.id, 'VALID', undefined);
    usage.record(key.id, 'IP_NOT_ALLOWED', undefined);
    clock.set('2026-03-10T12:00:00.000Z');
    const report = await reports.usageOf(alice, key.id, {});
    expect(report.byDay.map((d) => d.day)).toEqual(['2026-02-09']);
    expect(report.successRate).toBe(0.6667);
  });

  it('no uses: no success rate; someone else asking gets 404 and nothing is flushed for them', async () => {
    const { keys, usage, reports, repo } = setup();
    const key = await keys.create(alice, { name: 'ci', scopes: ['profiles:read'] });
    expect((await reports.usageOf(alice, key.id, {})).successRate).toBeNull();
    usage.record(key.id, 'VALID', undefined);
    const err = await reports.usageOf(bob, key.id, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainException);
    expect((err as DomainException).code).toBe(ApiKeyErrorCode.API_KEY_NOT_FOUND);
    expect(repo.usageBatches).toHaveLength(0);
    await expect(reports.usageOf(admin, key.id, {})).resolves.toMatchObject({ totalRequests: 1 });
  });
});

describe('KeyReportsService.hygiene', () => {
  it('sorts live keys into: no expiry, unused 30 days, admin:all, expiring within 7 days, in grace', async () => {
    const { keys, reports, clock, repo } = setup();
    const created = async (name: string, scopes = ['profiles:read'], by = admin) =>
      (await keys.create(by, { name, scopes })).id;
    clock.advance(-40 * DAY);
    await created('stale');
    clock.advance(40 * DAY);
    const fresh = await created('fresh');
    const forever = await created('forever');
    repo.stored(forever).expiresAt = null;
    const soon = await created('soon');
    repo.stored(soon).expiresAt = new Date(clock.nowMs() + 7 * DAY - 1);
    const later = await created('later');
    repo.stored(later).expiresAt = new Date(clock.nowMs() + 7 * DAY);
    await created('mighty', ['admin:all']);
    const used = await created('used-recently');
    repo.stored(used).createdAt = new Date(clock.nowMs() - 60 * DAY);
    repo.stored(used).lastUsedAt = new Date(clock.nowMs() - 29 * DAY);
    const rotating = await created('rotating');
    await keys.rotate(admin, rotating, 24);
    const gone = await created('gone');
    repo.stored(gone).expiresAt = null;
    await keys.revoke(admin, gone);

    const report = await reports.hygiene();
    const names = (list: { id: string }[]) => list.map((k) => repo.stored(k.id).name).sort();
    expect(report.generatedAt).toBe(clock.now().toISOString());
    expect(names(report.withoutExpiry)).toEqual(['forever']);
    expect(names(report.unused30Days)).toEqual(['stale']);
    expect(names(report.holdingAdminAll)).toEqual(['mighty']);
    expect(names(report.expiringWithin7Days)).toEqual(['soon']);
    expect(names(report.inGracePeriod)).toEqual(['rotating']);
    expect(report.counts).toEqual({
      withoutExpiry: 1,
      unused30Days: 1,
      holdingAdminAll: 1,
      expiringWithin7Days: 1,
      inGracePeriod: 1,
    });
    expect([fresh, later, used].every((id) => !JSON.stringify(report).includes(id))).toBe(true);
  });
});
