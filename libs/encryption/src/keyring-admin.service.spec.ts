import { Logger } from '@nestjs/common';
import { DomainException, JobScheduler, Principal, SecretStore } from '@app/core';
import { Keyring } from '@app/crypto';
import { randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { fakeAudit } from '../../../test/fakes/audit';
import {
  FakeChangeFeed,
  FakeDatabase,
  ManualClock,
  SequenceRandom,
  transactionOf,
  TransactionalStore,
  unitConfig,
} from '../../../test/fakes/core';
import { FakeCiphertextStore } from '../../../test/fakes/encryption';
import { CiphertextStores } from '@app/core';
import { EncryptionErrorCode } from './encryption-error-codes';
import type { EncryptionRepository } from './encryption.repository';
import type { EncryptionCounterRow } from './entities/encryption-counter.entity';
import { KEYRING_TOPIC, KeyringAdminService } from './keyring-admin.service';
import { PersistentEncryptionCounter } from './persistent-encryption-counter';
import { RewrapService } from './rewrap.service';

const key = () => randomBytes(32).toString('base64');
const KEYS = `v1:${key()},v2:${key()},v3:${key()}`;
const operator: Principal = {
  kind: 'session',
  emailVerified: true,
  userId: 'ops',
  role: 'admin',
  scopes: ['admin:all'],
};

/**
 * encryption_counters and keyring_state in memory, in the database every "instance" a test builds shares; a
 * retirement is rolled back with its transaction.
 */
class FakeEncryptionRepository implements TransactionalStore {
  readonly counts = new Map<number, number>();
  retired = 0;
  retirements: { version: number; transaction: number | undefined }[] = [];

  constructor(readonly db = new FakeDatabase()) {
    db.register(this);
  }

  snapshot(): unknown {
    return { retired: this.retired, retirements: [...this.retirements] };
  }

  restore(state: unknown): void {
    Object.assign(this, state);
  }

  async addCounts(counts: Map<number, number>): Promise<Map<number, number>> {
    for (const [v, n] of counts) this.counts.set(v, (this.counts.get(v) ?? 0) + n);
    return new Map([...counts.keys()].map((v) => [v, this.counts.get(v)!]));
  }

  async all(): Promise<EncryptionCounterRow[]> {
    return [...this.counts].map(([keyVersion, encryptions]) => ({ keyVersion, encryptions, updatedAt: new Date() }));
  }

  async retiredThrough(): Promise<number> {
    return this.retired;
  }

  async retireThrough(version: number, em?: EntityManager): Promise<void> {
    this.db.write(this, em, 'retireThrough');
    this.retirements.push({ version, transaction: transactionOf(em) });
    this.retired = Math.max(this.retired, version);
  }

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  asRepository(): EncryptionRepository {
    return this as unknown as EncryptionRepository;
  }
}

function instance(repo = new FakeEncryptionRepository(), perVersion: Record<number, number> = {}, keys = KEYS) {
  const keyring = Keyring.parse(keys);
  const clock = new ManualClock();
  const config = unitConfig({ ENCRYPTION_WARN_PERCENT: '50' });
  const counter = new PersistentEncryptionCounter(repo.asRepository(), clock, config);
  const stores = new CiphertextStores();
  const profiles = new FakeCiphertextStore('profiles', keyring, perVersion);
  stores.register(profiles);
  const rewrap = new RewrapService(stores, keyring, clock, { register: () => undefined } as unknown as JobScheduler);
  const { audit, auditRepo } = fakeAudit(repo.db, clock);
  const changes = new FakeChangeFeed();
  const secretFile = { value: keys, writes: [] as string[] };
  const secrets = {
    require: () => secretFile.value,
    replaceFile: (_name: string, value: string) => {
      secretFile.writes.push(value);
      secretFile.value = value;
      return '/run/secrets/encryption_keys';
    },
  } as unknown as SecretStore;
  const random = new SequenceRandom();
  const admin = new KeyringAdminService(
    keyring,
    repo.asRepository(),
    counter,
    stores,
    rewrap,
    audit,
    changes.asChangeFeed(),
    { isInitialized: true } as DataSource,
    secrets,
    random,
  );
  return { admin, keyring, repo, counter, profiles, rewrap, auditRepo, changes, secretFile, random };
}

async function refusal(p: Promise<unknown>): Promise<DomainException> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainException);
  return err as DomainException;
}

describe('KeyringAdminService.retire', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('never retires the current key, a newer one, or one the keyring does not hold', async () => {
    const { admin, keyring, repo } = instance(new FakeEncryptionRepository(), {}, `v1:${key()},v3:${key()}`);
    for (const v of [3, 4, 2])
      expect((await refusal(admin.retire(operator, v))).code).toBe(EncryptionErrorCode.KEY_VERSION_NOT_RETIRABLE);
    expect(keyring.minDecryptionVersion).toBe(1);
    expect(repo.retirements).toEqual([]);
  });

  it('is refused while any envelope still uses the version or an older one; allowed once they are rewrapped', async () => {
    const { admin, keyring, repo, profiles, rewrap } = instance(new FakeEncryptionRepository(), { 1: 4, 2: 2, 3: 9 });
    const err = await refusal(admin.retire(operator, 2));
    expect(err.code).toBe(EncryptionErrorCode.KEY_VERSION_IN_USE);
    expect(err.extras.inUse).toEqual({ 'profiles v1': 4, 'profiles v2': 2 });
    expect(keyring.canDecrypt(1)).toBe(true);
    expect(repo.retirements).toEqual([]);
    await rewrap.run();
    expect(profiles.versions()).toEqual({ 3: 15 });
    expect(await admin.retire(operator, 2)).toEqual({ minDecryptionVersion: 3 });
    expect([keyring.canDecrypt(1), keyring.canDecrypt(2), keyring.canDecrypt(3)]).toEqual([false, false, true]);
  });

  it('persists, audits and announces the retirement in one transaction', async () => {
    const { admin, repo, auditRepo, changes } = instance(new FakeEncryptionRepository(), { 3: 1 });
    await admin.retire(operator, 1);
    const [retirement] = repo.retirements;
    expect(retirement.version).toBe(1);
    expect(retirement.transaction).toBeDefined();
    const events = auditRepo.actions('keyring.retire');
    expect(events).toEqual([expect.objectContaining({ actorId: 'ops', details: { retiredThrough: 1 } })]);
    expect(auditRepo.writtenIn(events[0])).toBe(retirement.transaction);
    expect(changes.delivered).toEqual([{ topic: KEYRING_TOPIC, id: '1', transaction: retirement.transaction }]);
  });

  it('another instance applies a persisted retirement at boot and when it is announced', async () => {
    const shared = new FakeEncryptionRepository();
    const b = instance(shared, { 3: 1 });
    await b.admin.onApplicationBootstrap();
    expect(b.keyring.minDecryptionVersion).toBe(1);
    const a = instance(shared, { 3: 1 });
    await a.admin.retire(operator, 2);
    b.changes.emitLocal(KEYRING_TOPIC, '2');
    await new Promise((r) => setImmediate(r));
    expect(b.keyring.canDecrypt(2)).toBe(false);
    const c = instance(shared, { 3: 1 });
    await c.admin.onApplicationBootstrap();
    expect(c.keyring.minDecryptionVersion).toBe(3);
  });

  it('a persisted retirement at or past this instance’s current key is not applied (it would lock out every read)', async () => {
    const shared = new FakeEncryptionRepository();
    shared.retired = 3;
    const old = instance(shared, {}, `v1:${key()},v2:${key()},v3:${key()}`);
    await old.admin.onApplicationBootstrap();
    expect(old.keyring.canDecrypt(3)).toBe(true);
    expect(old.keyring.minDecryptionVersion).toBe(1);
  });
});

describe('KeyringAdminService: adding a version, status, rewrap', () => {
  it('adds the next version first in the key file, keeps every older one, from the random source', async () => {
    const { admin, secretFile, auditRepo, random } = instance();
    const before = secretFile.value;
    const added = await admin.addKeyVersion();
    expect(added).toEqual({ version: 4, file: '/run/secrets/encryption_keys', versions: [1, 2, 3, 4] });
    expect(secretFile.writes).toHaveLength(1);
    const [first, ...rest] = secretFile.value.split(',');
    expect(rest.join(',')).toBe(before);
    expect(first).toBe(`v4:${new SequenceRandom().bytes(32).toString('base64')}`);
    expect(random.calls).toBe(1);
    expect(Keyring.parse(secretFile.value).current).toBe(4);
    expect(auditRepo.actions('keyring.add_version')[0]).toMatchObject({
      targetId: 'v4',
      details: { previous: [1, 2, 3] },
    });
  });

  it('reports each version’s role, its encryptions (unflushed ones included) and the ciphertexts per store', async () => {
    const { admin, counter, repo } = instance(new FakeEncryptionRepository(), { 1: 2, 3: 5 });
    repo.counts.set(1, 1000);
    counter.count(3);
    counter.count(3);
    const status = await admin.status();
    expect(status).toMatchObject({
      current: 3,
      minDecryptionVersion: 1,
      warnAtEncryptions: 2 ** 31,
      ciphertexts: { profiles: { v1: 2, v3: 5 } },
      rewrap: { state: 'idle' },
    });
    expect(status.versions).toEqual([
      { version: 1, encrypts: false, decrypts: true, encryptions: 1000, shareOfGcmLimit: 1000 / 2 ** 32 },
      { version: 2, encrypts: false, decrypts: true, encryptions: 0, shareOfGcmLimit: 0 },
      { version: 3, encrypts: true, decrypts: true, encryptions: 2, shareOfGcmLimit: 2 / 2 ** 32 },
    ]);
  });

  it('starting a rewrap is audited with its target and answers the running state', async () => {
    const { admin, auditRepo, rewrap, profiles } = instance(new FakeEncryptionRepository(), { 1: 3 });
    expect(admin.startRewrap(operator)).toMatchObject({ state: 'running', targetVersion: 3 });
    await new Promise((r) => setImmediate(r)); // the audit is written without holding up the answer
    expect(auditRepo.actions('keyring.rewrap_start')[0]).toMatchObject({
      actorId: 'ops',
      details: { targetVersion: 3 },
    });
    await rewrap.run();
    expect(profiles.versions()).toEqual({ 3: 3 });
  });
});
