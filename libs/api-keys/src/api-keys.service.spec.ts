import type { AuthService, PasswordHasher, SessionsService } from '@app/auth';
import { DomainException, Principal, SecretStore, StepUpWindow } from '@app/core';
import { FakeApiKeysRepository } from '../../../test/fakes/api-keys';
import { fakeAudit } from '../../../test/fakes/audit';
import {
  FakeChangeFeed,
  FakeDatabase,
  ManualClock,
  SequenceRandom,
  transactionOf,
  unitConfig,
  unitCursors,
} from '../../../test/fakes/core';
import { fakeNotifications, WEBHOOK_ENV } from '../../../test/fakes/notifications';
import { ApiKeyErrorCode } from './api-key-error-codes';
import { SHOWN_ONCE } from './api-key.view';
import { ApiKeysService, KEY_TOPIC } from './api-keys.service';
import type { CreateApiKeyDto } from './dto/api-key.dto';
import { API_KEY_PATTERN, parseKey } from './key-format';
import { KeyHasher } from './key-hasher';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const ADMIN = '99999999-9999-4999-8999-999999999999';

const user = (userId: string, scopes = ['profiles:read', 'profiles:write', 'audit:read']): Principal => ({
  kind: 'session',
  emailVerified: true,
  userId,
  role: 'user',
  scopes,
});
/** Signed in when ManualClock starts, so inside the step-up window minting a sensitive key needs. */
const admin: Principal = {
  kind: 'session',
  emailVerified: true,
  userId: ADMIN,
  role: 'admin',
  scopes: ['admin:all'],
  authenticatedAt: new Date('2026-03-01T12:00:00.000Z'),
};

/** The error a call rejects with (the test fails if it resolves). */
async function refusal(p: Promise<unknown>): Promise<DomainException> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainException);
  return err as DomainException;
}

function setup(maxPerUser = 10) {
  const config = unitConfig({ API_KEY_MAX_PER_USER: String(maxPerUser), ...WEBHOOK_ENV });
  const secrets = { get: () => '1:pepper-for-unit-tests-only', require: () => '1:pepper-for-unit-tests-only' };
  const hasher = new KeyHasher(config, secrets as unknown as SecretStore, {} as PasswordHasher);
  const db = new FakeDatabase();
  const clock = new ManualClock();
  const repo = new FakeApiKeysRepository(db);
  const { audit, auditRepo } = fakeAudit(db, clock);
  const { notifications, outbox } = fakeNotifications(db, clock, config);
  const changes = new FakeChangeFeed();
  const emails: Record<string, string> = { [ALICE]: 'alice@example.test', [BOB]: 'bob@example.test' };
  const users = {
    me: async (id: string) => {
      if (!emails[id]) throw new Error('no such user');
      return { id, email: emails[id] };
    },
  } as unknown as AuthService;
  /** Sessions a test marks as ended after the request was let in (a reset in between). */
  const endedSessions = new Set<string>();
  const sessions = {
    assertNotRevoked: async (id: string) => {
      if (endedSessions.has(id)) throw new Error('SESSION_INVALID');
    },
  } as unknown as SessionsService;
  const service = new ApiKeysService(
    repo.asRepository(),
    hasher,
    audit,
    notifications,
    users,
    sessions,
    changes.asChangeFeed(),
    clock,
    new SequenceRandom(),
    config,
    new StepUpWindow(clock, config),
    unitCursors(),
  );
  const create = (p: Principal, dto: Partial<CreateApiKeyDto> = {}) =>
    service.create(p, { name: 'ci', scopes: ['profiles:read'], ...dto });
  return { service, repo, auditRepo, outbox, changes, clock, hasher, create, endedSessions };
}

describe('ApiKeysService: issuing keys', () => {
  it('returns the secret once, stores only a hash that verifies it, and the id the key carries', async () => {
    const { create, repo, hasher, auditRepo } = setup();
    const created = await create(user(ALICE), { scopes: ['profiles:write', 'profiles:read'] });
    expect(created.key).toMatch(API_KEY_PATTERN);
    expect(created.warning).toBe(SHOWN_ONCE);
    const stored = repo.stored(created.id);
    expect(parseKey(created.key)).toMatchObject({ environment: 'live', keyId: stored.keyId, prefix: created.prefix });
    expect(JSON.stringify(stored)).not.toContain(created.key.slice(-49));
    expect(await hasher.verify(created.key, stored.hash)).toEqual({ ok: true, needsRehash: false });
    expect((await hasher.verify(created.key.slice(0, -1) + 'x', stored.hash)).ok).toBe(false);
    expect(stored).toMatchObject({ ownerId: ALICE, status: 'active', scopes: ['profiles:read', 'profiles:write'] });
    expect(auditRepo.actions('api_key.create')).toHaveLength(1);
    expect(auditRepo.writtenIn(auditRepo.actions('api_key.create')[0])).toBeDefined();
  });

  it('two keys never share a secret or an id', async () => {
    const { create } = setup();
    const [a, b] = [await create(user(ALICE)), await create(user(ALICE))];
    expect(a.key).not.toBe(b.key);
    expect(a.prefix).not.toBe(b.prefix);
  });

  it('expires after 90 days unless told otherwise; a quota with refill counts as filled now', async () => {
    const { create, clock } = setup();
    const now = clock.nowMs();
    const plain = await create(user(ALICE));
    expect(new Date(plain.expiresAt!).getTime()).toBe(now + 90 * DAY);
    const short = await create(user(ALICE), {
      expiresInDays: 7,
      environment: 'test',
      quota: { remaining: 5, refill: { amount: 100, interval: 'day' } },
      rateLimit: { limit: 10, windowSeconds: 60 },
    });
    expect(new Date(short.expiresAt!).getTime()).toBe(now + 7 * DAY);
    expect(short.key.startsWith('sk_test_')).toBe(true);
    expect(short.quota).toEqual({ remaining: 5, refill: { amount: 100, interval: 'day' } });
    expect(short.rateLimit).toEqual({ limit: 10, windowSeconds: 60 });
  });

  it('a key gets only scopes its owner holds (an admin may grant any)', async () => {
    const { create, repo } = setup();
    const err = await refusal(create(user(ALICE), { scopes: ['profiles:read', 'crypto:decrypt', 'keys:verify'] }));
    expect(err.code).toBe(ApiKeyErrorCode.SCOPE_NOT_HELD);
    expect(err.extras.scopes).toEqual(['crypto:decrypt', 'keys:verify']);
    expect(repo.rows.size).toBe(0);
    const byAdmin = await create(admin, { scopes: ['crypto:decrypt', 'keys:verify'] });
    expect(byAdmin.scopes).toEqual(['crypto:decrypt', 'keys:verify']);
  });

  it('a sensitive scope needs a recent authentication (also to rotate such a key); other keys do not', async () => {
    const { create, service, clock, repo } = setup();
    const mighty = await create(admin, { scopes: ['crypto:decrypt'] });
    const plain = await create(admin, { scopes: ['profiles:read'] });
    clock.advance(15 * 60_000 + 1);
    const stale = await refusal(create(admin, { scopes: ['profiles:read', 'keys:verify'] }));
    expect(stale.code).toBe('RECENT_LOGIN_REQUIRED');
    expect((await refusal(service.rotate(admin, mighty.id, 0))).code).toBe('RECENT_LOGIN_REQUIRED');
    expect(repo.rows.get(mighty.id)?.status).toBe('active');
    expect(repo.rows.size).toBe(2);
    await expect(create(admin, { scopes: ['profiles:read'] })).resolves.toMatchObject({ status: 'active' });
    await expect(service.rotate(admin, plain.id, 0)).resolves.toMatchObject({ status: 'active' });
    const renewed: Principal = { ...admin, authenticatedAt: clock.now() };
    await expect(create(renewed, { scopes: ['keys:verify'] })).resolves.toMatchObject({ scopes: ['keys:verify'] });
    await expect(service.rotate(renewed, mighty.id, 0)).resolves.toMatchObject({ scopes: ['crypto:decrypt'] });
  });

  it('refuses a key beyond the per-user limit; a revoked key frees its place', async () => {
    const { create, service, repo } = setup(2);
    const first = await create(user(ALICE));
    await create(user(ALICE));
    expect((await refusal(create(user(ALICE)))).code).toBe(ApiKeyErrorCode.KEY_LIMIT_REACHED);
    expect(repo.rows.size).toBe(2);
    await create(user(BOB)); // the limit is per owner
    await service.revoke(user(ALICE), first.id);
    await expect(create(user(ALICE))).resolves.toMatchObject({ status: 'active' });
  });
});

describe('ApiKeysService: who sees which key', () => {
  it("another user's key answers 404 (never 403), for reading, changing, rotating and revoking", async () => {
    const { create, service } = setup();
    const key = await create(user(ALICE));
    const bob = user(BOB);
    for (const attempt of [
      service.get(bob, key.id),
      service.update(bob, key.id, { name: 'mine now' }),
      service.rotate(bob, key.id),
      service.revoke(bob, key.id),
    ])
      expect((await refusal(attempt)).code).toBe(ApiKeyErrorCode.API_KEY_NOT_FOUND);
    expect((await refusal(service.get(bob, 'no-such-id'))).code).toBe(ApiKeyErrorCode.API_KEY_NOT_FOUND);
    await expect(service.get(user(ALICE), key.id)).resolves.toMatchObject({ id: key.id });
    await expect(service.get(admin, key.id)).resolves.toMatchObject({ id: key.id });
  });

  it("lists one's own keys, pages with a cursor, and shows nobody else's list except to an admin", async () => {
    const { create, service, clock } = setup();
    for (let i = 0; i < 3; i++) {
      await create(user(ALICE), { name: `a${i}` });
      clock.advance(1000);
    }
    await create(user(BOB), { name: 'b' });
    const first = await service.list(user(ALICE), { limit: 2 });
    expect(first.items.map((k) => k.name)).toEqual(['a2', 'a1']);
    expect(first.nextCursor).not.toBeNull();
    const second = await service.list(user(ALICE), { limit: 2, cursor: first.nextCursor! });
    expect(second).toEqual({ items: [expect.objectContaining({ name: 'a0' })], nextCursor: null });
    expect(await service.list(user(BOB), { ownerId: ALICE })).toEqual({ items: [], nextCursor: null });
    expect((await service.list(admin, { ownerId: ALICE })).items).toHaveLength(3);
  });
});

describe('ApiKeysService: changing a key', () => {
  it('scopes can only narrow; the change is published in its transaction and told locally after', async () => {
    const { create, service, changes, auditRepo } = setup();
    const key = await create(user(ALICE), { scopes: ['profiles:read', 'profiles:write'] });
    const err = await refusal(service.update(user(ALICE), key.id, { scopes: ['profiles:read', 'audit:read'] }));
    expect(err.code).toBe(ApiKeyErrorCode.SCOPES_CAN_ONLY_NARROW);
    expect(err.extras.scopes).toEqual(['audit:read']);
    expect(changes.delivered).toHaveLength(0);
    const narrowed = await service.update(user(ALICE), key.id, { scopes: ['profiles:write'] });
    expect(narrowed.scopes).toEqual(['profiles:write']);
    const transaction = auditRepo.writtenIn(auditRepo.actions('api_key.update')[0]);
    expect(transaction).toBeDefined();
    expect(changes.delivered).toEqual([{ topic: KEY_TOPIC, id: key.id, transaction }]);
    expect(changes.local).toEqual([{ topic: KEY_TOPIC, id: key.id }]);
  });

  it('a rate limit left out stays, null removes it; a revoked key cannot be changed', async () => {
    const { create, service } = setup();
    const key = await create(user(ALICE), { rateLimit: { limit: 5, windowSeconds: 1 } });
    expect((await service.update(user(ALICE), key.id, { name: 'renamed' })).rateLimit).toEqual({
      limit: 5,
      windowSeconds: 1,
    });
    expect((await service.update(user(ALICE), key.id, { rateLimit: null })).rateLimit).toBeNull();
    await service.revoke(user(ALICE), key.id);
    expect((await refusal(service.update(user(ALICE), key.id, { name: 'x' }))).code).toBe(
      ApiKeyErrorCode.API_KEY_NOT_ACTIVE,
    );
  });

  it('a key in its grace period can still be narrowed (the successor is a separate key)', async () => {
    const { create, service } = setup();
    const key = await create(user(ALICE), { scopes: ['profiles:read', 'profiles:write'] });
    await service.rotate(user(ALICE), key.id, 24);
    await expect(service.update(user(ALICE), key.id, { scopes: ['profiles:read'] })).resolves.toMatchObject({
      status: 'rotating',
      scopes: ['profiles:read'],
    });
  });
});

describe('ApiKeysService: rotation', () => {
  it('issues a successor with the same settings; the old key works through the grace period', async () => {
    const { create, service, repo, clock, hasher } = setup();
    const old = await create(user(ALICE), {
      scopes: ['profiles:read'],
      ipAllowlist: ['10.0.0.0/8'],
      rateLimit: { limit: 5, windowSeconds: 60 },
      expiresInDays: 30,
    });
    clock.advance(10 * DAY);
    const now = clock.nowMs();
    const rotated = await service.rotate(user(ALICE), old.id, 24);
    expect(rotated.key).not.toBe(old.key);
    expect(rotated).toMatchObject({
      status: 'active',
      scopes: ['profiles:read'],
      ipAllowlist: ['10.0.0.0/8'],
      rateLimit: { limit: 5, windowSeconds: 60 },
      rotatedFrom: old.id,
    });
    // The successor gets the old key's full lifetime again, counted from now.
    expect(new Date(rotated.expiresAt!).getTime()).toBe(now + 30 * DAY);
    expect(rotated.previous).toMatchObject({ status: 'rotating', rotatedTo: rotated.id });
    expect(new Date(rotated.previous.graceEndsAt!).getTime()).toBe(now + 24 * HOUR);
    expect((await hasher.verify(rotated.key, repo.stored(rotated.id).hash)).ok).toBe(true);
    expect((await hasher.verify(old.key, repo.stored(rotated.id).hash)).ok).toBe(false);
  });

  it('a successor lives at least a day, even when the old key had almost no lifetime', async () => {
    const { create, service, repo, clock } = setup();
    const old = await create(user(ALICE));
    repo.stored(old.id).expiresAt = new Date(repo.stored(old.id).createdAt.getTime() + HOUR);
    const rotated = await service.rotate(user(ALICE), old.id, 0);
    expect(new Date(rotated.expiresAt!).getTime()).toBe(clock.nowMs() + DAY);
  });

  it('without a grace period the old key is revoked at once, as "rotated"', async () => {
    const { create, service, clock } = setup();
    const old = await create(user(ALICE));
    const rotated = await service.rotate(user(ALICE), old.id, 0);
    expect(rotated.previous).toMatchObject({
      status: 'revoked',
      revokedReason: 'rotated',
      revokedAt: clock.now().toISOString(),
      graceEndsAt: null,
    });
  });

  it('only an active key rotates: a key already in its grace period is refused', async () => {
    const { create, service } = setup();
    const old = await create(user(ALICE));
    await service.rotate(user(ALICE), old.id, 48);
    expect((await refusal(service.rotate(user(ALICE), old.id, 48))).code).toBe(ApiKeyErrorCode.API_KEY_NOT_ACTIVE);
  });

  it('both keys count toward the limit during a grace period: at the limit only a rotation without grace passes', async () => {
    const { create, service, repo } = setup(2);
    const a = await create(user(ALICE));
    await create(user(ALICE));
    expect((await refusal(service.rotate(user(ALICE), a.id, 1))).code).toBe(ApiKeyErrorCode.KEY_LIMIT_REACHED);
    expect(repo.rows.size).toBe(2);
    expect(repo.stored(a.id).status).toBe('active');
    await expect(service.rotate(user(ALICE), a.id, 0)).resolves.toMatchObject({ status: 'active' });
  });

  it("an admin rotating someone's key tells the owner by mail and webhook, in the transaction; the owner's own gets the creation notice", async () => {
    const { create, service, outbox, auditRepo } = setup();
    const mine = await create(user(ALICE));
    outbox.clear(); // the creation notice
    const own = await service.rotate(user(ALICE), mine.id, 1, '192.0.2.44');
    // The owner's own rotation: no "rotated by an administrator", but the creation notice of the new secret.
    expect(outbox.mails().map((m) => m.kind)).toEqual(['api_key.created']);
    expect(outbox.mails()[0].body).toContain(
      `(${own.prefix}) was created by you, from a signed-in session from 192.0.2.44`,
    );
    expect(outbox.mails()[0].body).toContain(`rotating ${mine.prefix}`);
    expect(outbox.mails()[0].body).not.toContain(own.key.slice(own.prefix.length + 1));
    expect(outbox.webhookEvents().map((w) => w.kind)).toEqual(['api_key.created']);
    const theirs = await create(user(ALICE));
    outbox.clear();
    const rotated = await service.rotate(admin, theirs.id, 1, '203.0.113.9');
    expect(outbox.mails()).toHaveLength(1);
    expect(outbox.mails()[0]).toMatchObject({ kind: 'api_key.rotated_by_admin', recipient: 'alice@example.test' });
    expect(outbox.mails()[0].body).not.toContain(rotated.key);
    // It is also the successor's creation notice: scopes, who, from where.
    expect(outbox.mails()[0].body).toContain(`by an administrator (user ${ADMIN}) from 203.0.113.9`);
    expect(outbox.mails()[0].body).toContain('scopes: profiles:read');
    expect(outbox.webhookEvents()[0]).toMatchObject({
      kind: 'api_key.rotated_by_admin',
      data: { keyId: theirs.id, ownerId: ALICE, successorId: rotated.id, ip: '203.0.113.9' },
    });
    const auditTransaction = auditRepo.writtenIn(auditRepo.actions('api_key.rotate')[1]);
    expect(outbox.writtenIn(outbox.mails()[0])).toBe(auditTransaction);
    expect(auditRepo.actions('api_key.rotate')[1].details).toMatchObject({ byAdmin: true });
  });
});

describe('ApiKeysService: revocation', () => {
  it('revokes for good, once: a second revocation changes and audits nothing', async () => {
    const { create, service, repo, auditRepo, changes, clock } = setup();
    const key = await create(user(ALICE));
    await service.revoke(user(ALICE), key.id);
    const revokedAt = repo.stored(key.id).revokedAt;
    expect(repo.stored(key.id)).toMatchObject({ status: 'revoked', revokedReason: 'owner' });
    expect(revokedAt).toEqual(clock.now());
    clock.advance(HOUR);
    await service.revoke(user(ALICE), key.id);
    expect(repo.stored(key.id).revokedAt).toEqual(revokedAt);
    expect(auditRepo.actions('api_key.revoke')).toHaveLength(1);
    expect(changes.delivered.map((c) => c.id)).toEqual([key.id]);
    expect(repo.rows.has(key.id)).toBe(true); // a tombstone, never deleted
  });

  it("an admin's revocation is marked as such and the owner is told", async () => {
    const { create, service, repo, outbox } = setup();
    const key = await create(user(ALICE));
    outbox.clear(); // the creation notice
    await service.revoke(admin, key.id);
    expect(repo.stored(key.id).revokedReason).toBe('admin');
    expect(outbox.mails().map((m) => m.kind)).toEqual(['api_key.revoked_by_admin']);
    expect(outbox.webhookEvents().map((w) => w.kind)).toEqual(['api_key.revoked_by_admin']);
  });

  it('an owner who cannot be looked up (erased meanwhile) gets no mail, but the webhook still goes out', async () => {
    const { create, service, repo, outbox } = setup();
    const key = await create(user('33333333-3333-4333-8333-333333333333'));
    outbox.clear(); // the creation notice's webhook
    await service.revoke(admin, key.id);
    expect(repo.stored(key.id).status).toBe('revoked');
    expect(outbox.mails()).toHaveLength(0);
    expect(outbox.webhookEvents().map((w) => w.data.ownerId)).toEqual(['33333333-3333-4333-8333-333333333333']);
  });
});

describe('ApiKeysService: creation notices', () => {
  it('every creation mails the owner name, prefix, scopes, who and from where, in the creation’s transaction', async () => {
    const { service, outbox, auditRepo } = setup();
    const created = await service.create(
      user(ALICE),
      { name: 'ci deploy', scopes: ['profiles:read', 'audit:read'] },
      '203.0.113.5',
    );
    const [mail] = outbox.mails('api_key.created');
    expect(mail).toMatchObject({ recipient: 'alice@example.test' });
    expect(mail.body).toContain(`"ci deploy" (${created.prefix})`);
    expect(mail.body).toContain('by you, from a signed-in session from 203.0.113.5');
    expect(mail.body).toContain('scopes: audit:read, profiles:read');
    expect(mail.body).not.toContain(created.key.slice(created.prefix.length));
    expect(outbox.writtenIn(mail)).toBe(auditRepo.writtenIn(auditRepo.actions('api_key.create')[0]));
    expect(outbox.webhookEvents('api_key.created')[0].data).toMatchObject({
      keyId: created.id,
      scopes: ['audit:read', 'profiles:read'],
      ip: '203.0.113.5',
      createdBy: { kind: 'owner' },
    });
  });

  it('a key issued for the owner by the admin command line says so; a refused creation mails nothing', async () => {
    const { service, outbox, create } = setup(1);
    await service.create(user(ALICE), { name: 'cli', scopes: ['profiles:read'] }, null, { kind: 'operator' });
    expect(outbox.mails('api_key.created')[0].body).toContain(
      'by an operator with the admin command line from an unknown address',
    );
    await expect(create(user(ALICE))).rejects.toMatchObject({ code: ApiKeyErrorCode.KEY_LIMIT_REACHED });
    expect(outbox.mails('api_key.created')).toHaveLength(1);
  });
});

describe('ApiKeysService: a session ended while the request waited', () => {
  it('mints nothing (creation or rotation) once the owner lock shows the session ended, and mails nothing', async () => {
    const { create, service, repo, outbox, endedSessions } = setup();
    const p = { ...user(ALICE), sessionId: 'session-1' };
    const a = await create(p);
    outbox.clear();
    endedSessions.add('session-1');
    await expect(create(p)).rejects.toThrow('SESSION_INVALID');
    await expect(service.rotate(p, a.id, 0)).rejects.toThrow('SESSION_INVALID');
    expect(repo.rows.size).toBe(1);
    expect(repo.stored(a.id).status).toBe('active');
    expect(outbox.mails()).toHaveLength(0);
  });
});

describe('ApiKeysService: revoking every key of an owner', () => {
  it('revokes every live key of that owner only, tombstoned with the reason, each audited and published', async () => {
    const { create, service, repo, auditRepo, changes, outbox, clock } = setup();
    const a = await create(user(ALICE));
    const b = await create(user(ALICE));
    await service.rotate(user(ALICE), b.id, 1); // b rotating, its successor active: three live keys
    const gone = await create(user(ALICE));
    await service.revoke(user(ALICE), gone.id);
    const bobs = await create(user(BOB));
    outbox.clear();
    changes.delivered.length = 0;
    changes.local.length = 0;
    const answer = await service.revokeAllMine(user(ALICE));
    expect(answer.revoked).toBe(3);
    expect(answer.ids).toContain(a.id);
    expect(answer.ids).toContain(b.id);
    expect(answer.ids).not.toContain(gone.id);
    for (const id of answer.ids)
      expect(repo.stored(id)).toMatchObject({ status: 'revoked', revokedReason: 'owner', revokedAt: clock.now() });
    expect(repo.stored(bobs.id).status).toBe('active');
    expect(repo.stored(gone.id).revokedReason).toBe('owner');
    const bulk = auditRepo.actions('api_key.revoke').filter((e) => e.details.bulk);
    expect(bulk.map((e) => e.targetId).sort()).toEqual([...answer.ids].sort());
    expect(changes.delivered.map((c) => c.id).sort()).toEqual([...answer.ids].sort()); // every instance, at commit
    expect(changes.local.map((c) => c.id).sort()).toEqual([...answer.ids].sort()); // this one, after commit
    expect(outbox.mails()).toHaveLength(0); // the owner did it: nothing to tell them
    expect(await service.revokeAllMine(user(ALICE))).toEqual({ revoked: 0, ids: [] });
  });

  it('on a password reset: the owner is mailed the list once (names and prefixes, no secret), in the transaction', async () => {
    const { create, service, repo, outbox, changes } = setup();
    const a = await create(user(ALICE), { name: 'first key' });
    const b = await create(user(ALICE), { name: 'second key' });
    outbox.clear();
    changes.delivered.length = 0;
    changes.local.length = 0;
    const { revoked, transaction } = await repo.transaction(async (em) => ({
      revoked: await service.revokeAllOf(em, ALICE, 'password_reset'),
      transaction: transactionOf(em),
    }));
    expect(revoked.map((k) => k.id).sort()).toEqual([a.id, b.id].sort());
    expect(repo.stored(a.id)).toMatchObject({ status: 'revoked', revokedReason: 'password_reset' });
    const mails = outbox.mails('api_key.revoked_on_reset');
    expect(mails).toHaveLength(1);
    expect(mails[0].recipient).toBe('alice@example.test');
    expect(mails[0].body).toContain(`"first key" (${a.prefix})`);
    expect(mails[0].body).toContain(`"second key" (${b.prefix})`);
    for (const k of [a, b]) expect(mails[0].body).not.toContain(k.key.slice(k.prefix.length));
    expect(outbox.writtenIn(mails[0])).toBe(transaction);
    // Published in the transaction (other instances hear it at commit); this one waits for the caller's word.
    expect(changes.delivered.map((c) => [c.id, c.transaction]).sort()).toEqual(
      [
        [a.id, transaction],
        [b.id, transaction],
      ].sort(),
    );
    expect(changes.local.filter((c) => c.id === a.id || c.id === b.id)).toEqual([]);
    service.dropCached(revoked);
    expect(changes.local.map((c) => c.id).sort()).toEqual([a.id, b.id].sort());
  });

  it('takes the owner lock creation and rotation take (also a rotation without grace), so none slips past it', async () => {
    const { create, service, repo } = setup();
    const a = await create(user(ALICE));
    repo.lockedOwners.length = 0;
    await service.rotate(user(ALICE), a.id, 0);
    expect(repo.lockedOwners).toEqual([ALICE]);
    await repo.transaction((em) => service.revokeAllOf(em, ALICE, 'password_reset'));
    expect(repo.lockedOwners).toEqual([ALICE, ALICE]);
  });

  it('a failure part-way rolls every revocation back', async () => {
    const { create, service, repo } = setup();
    const a = await create(user(ALICE));
    await expect(
      repo.transaction(async (em) => {
        await service.revokeAllOf(em, ALICE, 'password_reset');
        throw new Error('the reset failed later');
      }),
    ).rejects.toThrow('the reset failed later');
    expect(repo.stored(a.id).status).toBe('active');
  });

  it('lists the live keys as the password change shows them: id, name, prefix, scopes', async () => {
    const { create, service } = setup();
    const a = await create(user(ALICE), { name: 'alpha' });
    const b = await create(user(ALICE), { name: 'beta' });
    await service.revoke(user(ALICE), b.id);
    expect(await service.liveOf(ALICE)).toEqual([
      { id: a.id, name: 'alpha', prefix: a.prefix, scopes: ['profiles:read'] },
    ]);
  });
});
