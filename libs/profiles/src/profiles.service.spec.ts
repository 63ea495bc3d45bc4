import { CoreErrorCode, DomainException, Principal, StepUpWindow } from '@app/core';
import { CryptoService, decodeEnvelope, Keyring, NoopEncryptionCounter } from '@app/crypto';
import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { fakeAudit } from '../../../test/fakes/audit';
import {
  FakeDatabase,
  ManualClock,
  SequenceRandom,
  transactionOf,
  TransactionalStore,
  unitConfig,
} from '../../../test/fakes/core';
import { Profile } from './entities/profile.entity';
import { ProfileCodec } from './profile-codec';
import { ProfilesErrorCode } from './profiles-error-codes';
import type { ProfilesRepository } from './profiles.repository';
import { ProfilesService } from './profiles.service';

/** The step-up window: STEP_UP_MAX_AGE_MINUTES' default, 15 minutes. */
const RECENT_LOGIN_MS = 15 * 60_000;
import { RevealAuditor } from './reveal-auditor';

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const V1 = `v1:${randomBytes(32).toString('base64')}`;
const V2 = `v2:${randomBytes(32).toString('base64')}`;

const copy = (p: Profile): Profile => Object.assign(new Profile(), structuredClone(p));

/**
 * ProfilesRepository over a Map in its own FakeDatabase; rows go in and out as copies, so a test can tamper with what
 * is "on disk", and a failed transaction puts back the rows it started with.
 */
class FakeProfilesRepository implements TransactionalStore {
  readonly rows = new Map<string, Profile>();
  /** The transaction of each save, in order. */
  saves: (number | undefined)[] = [];

  constructor(readonly db = new FakeDatabase()) {
    db.register(this);
  }

  snapshot(): unknown {
    return new Map(this.rows);
  }

  restore(state: unknown): void {
    this.rows.clear();
    for (const [k, v] of state as Map<string, Profile>) this.rows.set(k, v);
  }

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  async lockUser(): Promise<void> {}

  async find(userId: string): Promise<Profile | null> {
    const row = this.rows.get(userId);
    return row ? copy(row) : null;
  }

  findForUpdate(_em: EntityManager, userId: string): Promise<Profile | null> {
    return this.find(userId);
  }

  async save(em: EntityManager, row: Profile): Promise<void> {
    this.db.write(this, em, 'profile save');
    this.saves.push(transactionOf(em));
    this.rows.set(row.userId, copy(row));
  }

  async findByBlindIndex(candidates: string[]): Promise<Profile[]> {
    return [...this.rows.values()].filter((r) => r.ssnBlindIndex && candidates.includes(r.ssnBlindIndex)).map(copy);
  }

  asRepository(): ProfilesRepository {
    return this as unknown as ProfilesRepository;
  }
}

function setup(keys = V1, repo = new FakeProfilesRepository(), clock = new ManualClock()) {
  const keyring = Keyring.parse(keys);
  const codec = new ProfileCodec(
    new CryptoService(keyring, new SequenceRandom(), new NoopEncryptionCounter()),
    keyring,
  );
  const { audit, auditRepo } = fakeAudit(repo.db, clock);
  const reveals = new RevealAuditor(audit, clock);
  const stepUp = new StepUpWindow(clock, unitConfig());
  const service = new ProfilesService(repo.asRepository(), codec, audit, reveals, clock, stepUp);
  return { service, repo, auditRepo, clock, codec, keyring, reveals };
}

const session = (userId: string, clock: ManualClock, signedInAgoMs = 0, scopes = ['profiles:read_sensitive']) =>
  ({
    kind: 'session',
    emailVerified: true,
    userId,
    role: 'user',
    scopes: ['profiles:read', 'profiles:write', ...scopes],
    sessionId: `s-${userId}`,
    authenticatedAt: new Date(clock.nowMs() - signedInAgoMs),
  }) satisfies Principal;
const admin: Principal = {
  kind: 'apiKey',
  emailVerified: true,
  userId: 'admin',
  role: 'admin',
  scopes: ['admin:all'],
  keyId: 'k-admin',
};

async function code(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainException);
  return (err as DomainException).code;
}

const FULL = {
  displayName: 'Alice',
  phone: '+1 555 0100',
  ssn: '123-45-6789',
  cardNumber: '4111 1111 1111 1111',
  medicalInfo: { allergies: ['penicillin'] },
};

describe('ProfilesService: encryption at rest and masking', () => {
  it('stores the sensitive fields only as envelopes under the current key, and answers masked', async () => {
    const { service, repo, clock, keyring } = setup(`${V1},${V2}`);
    const view = await service.update(session(ALICE, clock), FULL);
    expect(view).toMatchObject({
      displayName: 'Alice',
      ssn: '***-**-6789',
      cardNumber: '**** **** **** 1111',
      revealed: false,
      updatedAt: clock.now().toISOString(),
    });
    expect(view).not.toHaveProperty('medicalInfo');
    const stored = repo.rows.get(ALICE)!;
    const disk = JSON.stringify(stored);
    for (const secret of ['123456789', '123-45-6789', '4111111111111111', 'penicillin'])
      expect(disk).not.toContain(secret);
    for (const envelope of [stored.ssnCiphertext, stored.cardCiphertext, stored.medicalCiphertext])
      expect(decodeEnvelope(envelope!)?.keyVersion).toBe(keyring.current);
    expect(stored).toMatchObject({ ssnLast4: '6789', cardLast4: '1111', keyVersion: 2 });
  });

  it('merges a change: absent fields stay, null clears; the audit names the fields, in the transaction', async () => {
    const { service, repo, clock, auditRepo } = setup();
    const alice = session(ALICE, clock);
    await service.update(alice, FULL);
    const view = await service.update(alice, { phone: null, cardNumber: null });
    expect(view).toMatchObject({ displayName: 'Alice', phone: null, ssn: '***-**-6789', cardNumber: null });
    expect(repo.rows.get(ALICE)).toMatchObject({ cardCiphertext: null, cardLast4: null });
    const revealed = await service.get(alice, ALICE, true);
    expect(revealed).toMatchObject({ ssn: '123-45-6789', medicalInfo: { allergies: ['penicillin'] } });
    const updates = auditRepo.actions('profile.update');
    expect(updates.map((u) => u.details)).toEqual([{ fields: Object.keys(FULL) }, { fields: ['phone', 'cardNumber'] }]);
    expect(repo.saves[1]).toBeDefined();
    expect(auditRepo.writtenIn(updates[1])).toBe(repo.saves[1]);
  });

  it('a change moves every envelope of the row to the newest key, including fields it did not touch', async () => {
    const repo = new FakeProfilesRepository();
    const before = setup(V1, repo);
    await before.service.update(session(ALICE, before.clock), FULL);
    const after = setup(`${V1},${V2}`, repo);
    await after.service.update(session(ALICE, after.clock), { displayName: 'Alice B.' });
    const stored = repo.rows.get(ALICE)!;
    expect(
      [stored.ssnCiphertext, stored.cardCiphertext, stored.medicalCiphertext].map(
        (e) => decodeEnvelope(e!)?.keyVersion,
      ),
    ).toEqual([2, 2, 2]);
    expect(await after.service.get(session(ALICE, after.clock), ALICE, true)).toMatchObject({
      displayName: 'Alice B.',
      ssn: '123-45-6789',
      cardNumber: '4111111111111111',
    });
  });

  it('a revealed SSN reads 123-45-6789 whether it was given with dashes or without (issue 23 item 15)', async () => {
    const { service, repo, clock } = setup();
    const alice = session(ALICE, clock);
    for (const given of ['219099999', '219-09-9999', '21909-9999']) {
      await service.update(alice, { ssn: given });
      expect(await service.get(alice, ALICE, true)).toMatchObject({ ssn: '219-09-9999' });
      expect(repo.rows.get(ALICE)).toMatchObject({ ssnLast4: '9999' });
    }
  });

  it('a user without a profile gets an empty one', async () => {
    const { service, clock } = setup();
    expect(await service.get(session(ALICE, clock), ALICE)).toMatchObject({
      userId: ALICE,
      ssn: null,
      updatedAt: null,
    });
  });
});

describe('ProfilesService: who sees what', () => {
  it("another user's profile answers 404; an admin reads anyone's", async () => {
    const { service, clock } = setup();
    await service.update(session(ALICE, clock), FULL);
    expect(await code(service.get(session(BOB, clock), ALICE))).toBe(ProfilesErrorCode.PROFILE_NOT_FOUND);
    expect(await service.get(admin, ALICE, true)).toMatchObject({ ssn: '123-45-6789', revealed: true });
  });

  it('revealing needs profiles:read_sensitive', async () => {
    const { service, clock, auditRepo } = setup();
    const alice = session(ALICE, clock, 0, []);
    await service.update(alice, FULL);
    expect(await code(service.get(alice, ALICE, true))).toBe(CoreErrorCode.INSUFFICIENT_SCOPES);
    expect(await service.get(alice, ALICE)).toMatchObject({ ssn: '***-**-6789' });
    expect(auditRepo.actions('profile.reveal')).toHaveLength(0);
  });

  it('a session must have signed in within 15 minutes to reveal; an API key need not', async () => {
    const { service, clock } = setup();
    await service.update(session(ALICE, clock), FULL);
    await expect(service.get(session(ALICE, clock, RECENT_LOGIN_MS), ALICE, true)).resolves.toMatchObject({
      revealed: true,
    });
    expect(await code(service.get(session(ALICE, clock, RECENT_LOGIN_MS + 1), ALICE, true))).toBe(
      CoreErrorCode.RECENT_LOGIN_REQUIRED,
    );
    const noLoginTime: Principal = { ...session(ALICE, clock), authenticatedAt: undefined };
    expect(await code(service.get(noLoginTime, ALICE, true))).toBe(CoreErrorCode.RECENT_LOGIN_REQUIRED);
    const key: Principal = {
      kind: 'apiKey',
      emailVerified: true,
      userId: ALICE,
      role: 'user',
      scopes: ['profiles:read_sensitive'],
      keyId: 'k1',
    };
    await expect(service.get(key, ALICE, true)).resolves.toMatchObject({ ssn: '123-45-6789' });
  });

  it('a reveal is audited before the data leaves; repeats within a minute are counted into the next record', async () => {
    const { service, clock, auditRepo } = setup();
    const alice = session(ALICE, clock);
    await service.update(alice, FULL);
    await service.get(alice, ALICE, true);
    await service.get(alice, ALICE, true);
    await service.get(alice, ALICE, true);
    expect(auditRepo.actions('profile.reveal').map((e) => e.details)).toEqual([
      { fields: ['ssn', 'cardNumber', 'medicalInfo'], repeatedSincePrevious: 0, keyId: null },
    ]);
    clock.advance(60_000);
    await service.get(session(ALICE, clock), ALICE, true);
    expect(auditRepo.actions('profile.reveal').map((e) => e.details?.repeatedSincePrevious)).toEqual([0, 2]);
  });
});

describe('ProfilesService: reveal audit (RevealAuditor)', () => {
  it('counts repeats per actor and credential; repeats not yet carried by a record are written at shutdown', async () => {
    const s = setup();
    await s.service.update(session(ALICE, s.clock), FULL);
    const key = (keyId: string): Principal => ({
      kind: 'apiKey',
      emailVerified: true,
      userId: ALICE,
      role: 'user',
      scopes: ['profiles:read_sensitive'],
      keyId,
    });
    for (let i = 0; i < 3; i++) await s.service.get(key('k1'), ALICE, true);
    await s.service.get(key('k2'), ALICE, true);
    expect(s.auditRepo.actions('profile.reveal').map((e) => e.details?.keyId)).toEqual(['k1', 'k2']);
    await s.reveals.onApplicationShutdown();
    expect(s.auditRepo.actions('profile.reveal').map((e) => e.details)).toEqual([
      { fields: ['ssn', 'cardNumber', 'medicalInfo'], repeatedSincePrevious: 0, keyId: 'k1' },
      { fields: ['ssn', 'cardNumber', 'medicalInfo'], repeatedSincePrevious: 0, keyId: 'k2' },
      { repeatedSincePrevious: 2, flushed: true, keyId: 'k1' },
    ]);
  });
});

describe('ProfilesService: integrity', () => {
  async function tampered(change: (row: Profile, codec: ProfileCodec, rows: Map<string, Profile>) => void) {
    const s = setup();
    const alice = session(ALICE, s.clock);
    await s.service.update(alice, FULL);
    await s.service.update(session(BOB, s.clock), { ...FULL, ssn: '987-65-4321' });
    change(s.repo.rows.get(ALICE)!, s.codec, s.repo.rows);
    return { ...s, alice };
  }

  it('a row changed behind the service is not served (masked or not) nor updated, and the failure is audited', async () => {
    const { service, alice, auditRepo, repo } = await tampered((row) => (row.phone = '+1 555 0199'));
    expect(await code(service.get(alice, ALICE))).toBe(ProfilesErrorCode.PROFILE_INTEGRITY_FAILED);
    expect(await code(service.get(alice, ALICE, true))).toBe(ProfilesErrorCode.PROFILE_INTEGRITY_FAILED);
    expect(await code(service.update(alice, { displayName: 'x' }))).toBe(ProfilesErrorCode.PROFILE_INTEGRITY_FAILED);
    expect(repo.rows.get(ALICE)!.displayName).toBe('Alice');
    expect(auditRepo.actions('profile.integrity_failed').map((e) => e.targetId)).toEqual([ALICE, ALICE, ALICE]);
    expect(auditRepo.actions('profile.reveal')).toHaveLength(0);
  });

  it('a masked field edited to show other digits is caught', async () => {
    const { service, alice } = await tampered((row) => (row.ssnLast4 = '0000'));
    expect(await code(service.get(alice, ALICE))).toBe(ProfilesErrorCode.PROFILE_INTEGRITY_FAILED);
  });

  it("another user's envelope copied in does not decrypt, even under a recomputed MAC", async () => {
    const { service, alice } = await tampered((row, codec, rows) => {
      row.ssnCiphertext = rows.get(BOB)!.ssnCiphertext;
      row.integrityMac = codec.mac(row);
    });
    await expect(service.get(alice, ALICE)).resolves.toMatchObject({ ssn: '***-**-6789' }); // the MAC holds
    expect(await code(service.get(alice, ALICE, true))).toBe(ProfilesErrorCode.PROFILE_INTEGRITY_FAILED);
  });
});

describe('ProfilesService: search by SSN', () => {
  it('finds by blind index whatever the formatting, under older key versions too, masked and audited', async () => {
    const repo = new FakeProfilesRepository();
    const old = setup(V1, repo);
    await old.service.update(session(ALICE, old.clock), FULL);
    const { service, clock, auditRepo } = setup(`${V1},${V2}`, repo);
    await service.update(session(BOB, clock), { ssn: '987654321' });
    const found = await service.searchBySsn(admin, '123 45 6789');
    expect(found.items).toEqual([expect.objectContaining({ userId: ALICE, ssn: '***-**-6789', revealed: false })]);
    expect((await service.searchBySsn(admin, '987-65-4321')).items.map((i) => i.userId)).toEqual([BOB]);
    expect((await service.searchBySsn(admin, '000-00-0000')).items).toEqual([]);
    expect(auditRepo.actions('profile.search_ssn').map((e) => e.details)).toEqual([
      { matches: 1 },
      { matches: 1 },
      { matches: 0 },
    ]);
  });
});
