import type { AuthService, PasswordHasher, SessionsService } from '@app/auth';
import { JobDefinition, JobScheduler, Principal, SecretStore, StepUpWindow } from '@app/core';
import { Logger } from '@nestjs/common';
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
import { fakeNotifications, WEBHOOK_ENV } from '../../../test/fakes/notifications';
import { ApiKeyJobs } from './api-keys.jobs';
import { ApiKeysService, KEY_TOPIC } from './api-keys.service';
import { KeyHasher } from './key-hasher';
import { UsageRecorder } from './usage/usage-recorder';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const ALICE = '11111111-1111-4111-8111-111111111111';
const alice: Principal = {
  kind: 'session',
  emailVerified: true,
  userId: ALICE,
  role: 'user',
  scopes: ['profiles:read'],
};

function setup() {
  const config = unitConfig(WEBHOOK_ENV);
  const pepper = '1:pepper-for-unit-tests-only';
  const secrets = { get: () => pepper, require: () => pepper } as unknown as SecretStore;
  const db = new FakeDatabase();
  const clock = new ManualClock();
  const repo = new FakeApiKeysRepository(db);
  const { audit, auditRepo } = fakeAudit(db, clock);
  const { notifications, outbox } = fakeNotifications(db, clock, config);
  const changes = new FakeChangeFeed();
  const keys = new ApiKeysService(
    repo.asRepository(),
    new KeyHasher(config, secrets, {} as PasswordHasher),
    audit,
    notifications,
    { me: async () => ({ email: 'alice@example.test' }) } as unknown as AuthService,
    { assertNotRevoked: async () => undefined } as unknown as SessionsService,
    changes.asChangeFeed(),
    clock,
    new SequenceRandom(),
    config,
    new StepUpWindow(clock, config),
    unitCursors(),
  );
  const usage = new UsageRecorder(repo.asRepository(), clock, config);
  const registered: JobDefinition[] = [];
  const scheduler = { register: (j: JobDefinition) => void registered.push(j) } as unknown as JobScheduler;
  const jobs = new ApiKeyJobs(
    repo.asRepository(),
    keys,
    audit,
    changes.asChangeFeed(),
    usage,
    clock,
    config,
    scheduler,
  );
  const create = (expiresInDays = 30) => keys.create(alice, { name: 'ci', scopes: ['profiles:read'], expiresInDays });
  return { repo, auditRepo, outbox, changes, clock, keys, usage, jobs, registered, create };
}

describe('ApiKeyJobs', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('registers the three housekeeping jobs on the shared scheduler', () => {
    const { jobs, registered } = setup();
    jobs.onModuleInit();
    expect(registered.map((j) => j.name)).toEqual([
      'api-keys.expire',
      'api-keys.grace-end',
      'api-keys.expiry-warnings',
    ]);
  });

  it('marks keys past their expiry as expired (a rotating one too), audited and announced, once', async () => {
    const { create, keys, jobs, repo, clock, changes, auditRepo } = setup();
    const short = await create(1);
    const rotating = await create(1);
    clock.advance(12 * HOUR);
    const successor = await keys.rotate(alice, rotating.id, 72); // lives a day from now
    const long = await create(30);
    clock.advance(12 * HOUR - 1);
    expect(await jobs.expire()).toBe(0);
    clock.advance(1);
    changes.delivered.length = 0;
    changes.local.length = 0;
    expect(await jobs.expire()).toBe(2);
    expect([short.id, rotating.id, successor.id, long.id].map((id) => repo.stored(id).status)).toEqual([
      'expired',
      'expired',
      'active',
      'active',
    ]);
    const events = auditRepo.actions('api_key.expire');
    expect(events.map((e) => e.targetId).sort()).toEqual([short.id, rotating.id].sort());
    const transaction = auditRepo.writtenIn(events[0]);
    expect(changes.delivered).toHaveLength(2);
    expect(changes.delivered.every((p) => p.transaction === transaction && p.topic === KEY_TOPIC)).toBe(true);
    expect(changes.local.map((e) => e.id).sort()).toEqual([short.id, rotating.id].sort());
    expect(await jobs.expire()).toBe(0);
  });

  it('revokes a rotated key when its grace period ends, naming its successor', async () => {
    const { create, keys, jobs, repo, clock, auditRepo } = setup();
    const old = await create();
    const successor = await keys.rotate(alice, old.id, 24);
    clock.advance(24 * HOUR - 1);
    expect(await jobs.endGracePeriods()).toBe(0);
    clock.advance(1);
    expect(await jobs.endGracePeriods()).toBe(1);
    expect(repo.stored(old.id)).toMatchObject({ status: 'revoked', revokedReason: 'rotated', revokedAt: clock.now() });
    expect(repo.stored(successor.id).status).toBe('active');
    expect(auditRepo.actions('api_key.grace_end')[0].details).toEqual({
      keyId: repo.stored(old.id).keyId,
      successor: successor.id,
    });
  });

  it('warns the owner once, 7 days ahead, by mail and webhook in one transaction', async () => {
    const { create, jobs, repo, clock, outbox } = setup();
    const key = await create(10);
    await create(30);
    outbox.clear(); // the creation notices
    clock.advance(3 * DAY - 1);
    expect(await jobs.warnExpiring()).toBe(0);
    clock.advance(1);
    expect(await jobs.warnExpiring()).toBe(1);
    expect(repo.stored(key.id).expiryWarnedAt).toEqual(clock.now());
    expect(outbox.mails().map((m) => m.kind)).toEqual(['api_key.expiring']);
    expect(outbox.webhookEvents()[0].data).toMatchObject({ keyId: key.id, expiresAt: key.expiresAt });
    expect(outbox.webhookEvents()[0].transaction).toBe(outbox.writtenIn(outbox.mails()[0]));
    clock.advance(DAY);
    expect(await jobs.warnExpiring()).toBe(0);
    expect(outbox.mails()).toHaveLength(1);
  });

  it('a key used from a new network (after its first) is audited and its owner told', async () => {
    const { create, usage, auditRepo, outbox } = setup();
    const key = await create();
    outbox.clear(); // the creation notice
    usage.record(key.id, 'VALID', '203.0.113.7');
    await usage.flush();
    expect(auditRepo.actions('api_key.new_network')).toHaveLength(0); // the first network is the baseline
    usage.record(key.id, 'VALID', '198.51.100.20');
    await usage.flush();
    expect(auditRepo.actions('api_key.new_network').map((e) => e.details)).toEqual([
      { keyId: expect.any(String), network: '198.51.100.0/24' },
    ]);
    expect(outbox.mails().map((m) => m.kind)).toEqual(['api_key.new_network']);
    expect(outbox.webhookEvents()[0].data).toMatchObject({ keyId: key.id, network: '198.51.100.0/24' });
  });
});
