import type { AuthService, PasswordHasher } from '@app/auth';
import { JobDefinition, JobScheduler, loadConfig, Principal, SecretStore } from '@app/core';
import { Logger } from '@nestjs/common';
import { FakeAudit } from '../../../test/fakes/audit-doubles';
import { FakeApiKeysRepository } from '../../../test/fakes/api-keys';
import { FakeChangeFeed, FakeClock, FakeRandom } from '../../../test/fakes/core-doubles';
import { FakeNotifications } from '../../../test/fakes/notifications-doubles';
import { ApiKeyJobs } from './api-keys.jobs';
import { ApiKeysService, KEY_TOPIC } from './api-keys.service';
import { KeyHasher } from './key-hasher';
import { UsageRecorder } from './usage/usage-recorder';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const ALICE = '11111111-1111-4111-8111-111111111111';
const alice: Principal = { kind: 'session', userId: ALICE, role: 'user', scopes: ['profiles:read'] };

function setup() {
  const config = loadConfig({});
  const pepper = '1:pepper-for-unit-tests-only';
  const secrets = { get: () => pepper, require: () => pepper } as unknown as SecretStore;
  const repo = new FakeApiKeysRepository();
  const audit = new FakeAudit();
  const notifications = new FakeNotifications();
  const changes = new FakeChangeFeed();
  const clock = new FakeClock();
  const keys = new ApiKeysService(
    repo.asRepository(),
    new KeyHasher(config, secrets, {} as PasswordHasher),
    audit.asAuditService(),
    notifications.asNotificationsService(),
    { me: async () => ({ email: 'alice@example.test' }) } as unknown as AuthService,
    changes.asChangeFeed(),
    clock,
    new FakeRandom(),
    config,
  );
  const usage = new UsageRecorder(repo.asRepository(), clock, config);
  const registered: JobDefinition[] = [];
  const scheduler = { register: (j: JobDefinition) => void registered.push(j) } as unknown as JobScheduler;
  const jobs = new ApiKeyJobs(
    repo.asRepository(),
    keys,
    audit.asAuditService(),
    changes.asChangeFeed(),
    usage,
    clock,
    config,
    scheduler,
  );
  const create = (expiresInDays = 30) => keys.create(alice, { name: 'ci', scopes: ['profiles:read'], expiresInDays });
  return { repo, audit, notifications, changes, clock, keys, usage, jobs, registered, create };
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
    const { create, keys, jobs, repo, clock, changes, audit } = setup();
    const short = await create(1);
    const rotating = await create(1);
    clock.advance(12 * HOUR);
    const successor = await keys.rotate(alice, rotating.id, 72); // lives a day from now
    const long = await create(30);
    clock.advance(12 * HOUR - 1);
    expect(await jobs.expire()).toBe(0);
    clock.advance(1);
    changes.published.length = 0;
    changes.emitted.length = 0;
    expect(await jobs.expire()).toBe(2);
    expect([short.id, rotating.id, successor.id, long.id].map((id) => repo.stored(id).status)).toEqual([
      'expired',
      'expired',
      'active',
      'active',
    ]);
    const events = audit.of('api_key.expire');
    expect(events.map((e) => e.entry.targetId).sort()).toEqual([short.id, rotating.id].sort());
    expect(changes.published.every((p) => p.em === events[0].em && p.topic === KEY_TOPIC)).toBe(true);
    expect(changes.emitted.map((e) => e.id).sort()).toEqual([short.id, rotating.id].sort());
    expect(await jobs.expire()).toBe(0);
  });

  it('revokes a rotated key when its grace period ends, naming its successor', async () => {
    const { create, keys, jobs, repo, clock, audit } = setup();
    const old = await create();
    const successor = await keys.rotate(alice, old.id, 24);
    clock.advance(24 * HOUR - 1);
    expect(await jobs.endGracePeriods()).toBe(0);
    clock.advance(1);
    expect(await jobs.endGracePeriods()).toBe(1);
    expect(repo.stored(old.id)).toMatchObject({ status: 'revoked', revokedReason: 'rotated', revokedAt: clock.now() });
    expect(repo.stored(successor.id).status).toBe('active');
    expect(audit.of('api_key.grace_end')[0].entry.details).toEqual({
      keyId: repo.stored(old.id).keyId,
      successor: successor.id,
    });
  });

  it('warns the owner once, 7 days ahead, by mail and webhook in one transaction', async () => {
    const { create, jobs, repo, clock, notifications } = setup();
    const key = await create(10);
    await create(30);
    clock.advance(3 * DAY - 1);
    expect(await jobs.warnExpiring()).toBe(0);
    clock.advance(1);
    expect(await jobs.warnExpiring()).toBe(1);
    expect(repo.stored(key.id).expiryWarnedAt).toEqual(clock.now());
    expect(notifications.emails.map((e) => e.mail.kind)).toEqual(['api_key.expiring']);
    expect(notifications.webhooks[0].event.data).toMatchObject({ keyId: key.id, expiresAt: key.expiresAt });
    expect(notifications.webhooks[0].em).toBe(notifications.emails[0].em);
    clock.advance(DAY);
    expect(await jobs.warnExpiring()).toBe(0);
    expect(notifications.emails).toHaveLength(1);
  });

  it('a key used from a new network (after its first) is audited and its owner told', async () => {
    const { create, usage, audit, notifications } = setup();
    const key = await create();
    usage.record(key.id, 'VALID', '203.0.113.7');
    await usage.flush();
    expect(audit.of('api_key.new_network')).toHaveLength(0); // the first network is the baseline
    usage.record(key.id, 'VALID', '198.51.100.20');
    await usage.flush();
    expect(audit.of('api_key.new_network').map((e) => e.entry.details)).toEqual([
      { keyId: expect.any(String), network: '198.51.100.0/24' },
    ]);
    expect(notifications.emails.map((e) => e.mail.kind)).toEqual(['api_key.new_network']);
    expect(notifications.webhooks[0].event.data).toMatchObject({ keyId: key.id, network: '198.51.100.0/24' });
  });
});
