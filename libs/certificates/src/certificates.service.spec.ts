import { Logger } from '@nestjs/common';
import { AccountData, DomainException, Principal } from '@app/core';
import { X509Certificate } from 'node:crypto';
import { QueryFailedError } from 'typeorm';
import { daysFromNow, issue, Issued } from '../../../test/support/certs';
import { fakeAudit } from '../../../test/fakes/audit';
import { FakeCertificatesRepository } from '../../../test/fakes/certificates';
import { FakeDatabase, ManualClock, unitConfig, unitCursors } from '../../../test/fakes/core';
import { fakeNotifications } from '../../../test/fakes/notifications';
import { CertificateAlerts } from './certificate-alerts';
import { CertificateFiles, FileRefused } from './certificate-files';
import { CertificateInspector, TrustAnchors } from './certificate-inspector';
import { CertificateMonitor } from './certificate-monitor';
import { CertificatesErrorCode } from './certificates-error-codes';
import { CertificatesService, MAX_CERTIFICATES_PER_OWNER } from './certificates.service';
import type { CreateCertificateDto } from './dto/certificate.dto';
import { EndpointPolicy, EndpointRefused } from './endpoint-policy';
import type { TlsProber } from './tls-prober';

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const user = (userId: string): Principal => ({
  kind: 'session',
  emailVerified: true,
  userId,
  role: 'user',
  scopes: ['certificates:write'],
});
const alice = user(ALICE);
const bob = user(BOB);
const admin: Principal = {
  kind: 'session',
  emailVerified: true,
  userId: 'admin',
  role: 'admin',
  scopes: ['admin:all'],
};

/** Files under /etc/tls only; endpoints anywhere but *.internal; the "network" answers with `served`. */
function setup(served: Issued) {
  const db = new FakeDatabase();
  const clock = new ManualClock();
  const config = unitConfig();
  const repo = new FakeCertificatesRepository(db);
  const { audit, auditRepo } = fakeAudit(db, clock);
  const { notifications } = fakeNotifications(db, clock, config);
  const probes: { address: string; port: number; servername?: string }[] = [];
  const files = {
    resolveAllowed: async (path: string) => {
      if (!path.startsWith('/etc/tls/')) throw new FileRefused(`${path} is outside the allowed directories`);
      return path.replace(/\/+/g, '/');
    },
    read: async () => served.pem,
  } as unknown as CertificateFiles;
  const policy = {
    authorize: async (host: string) => {
      if (host.endsWith('.internal')) throw new EndpointRefused(`${host} is not an allowed endpoint`);
      return '203.0.113.10';
    },
  } as unknown as EndpointPolicy;
  const prober = {
    probe: async (address: string, port: number, servername?: string) => {
      probes.push({ address, port, servername });
      return { ders: [Buffer.from(new X509Certificate(served.pem).raw)], protocol: 'TLSv1.3', cipher: 'TLS_AES' };
    },
  } as unknown as TlsProber;
  const anchors = { all: [] } as unknown as TrustAnchors;
  const inspector = new CertificateInspector(files, policy, prober, anchors, clock, config);
  const monitor = new CertificateMonitor(
    repo.asRepository(),
    inspector,
    new CertificateAlerts(notifications, audit, new AccountData()),
    clock,
    config,
  );
  let inspections = 0;
  const counting = {
    inspect: (source: Parameters<CertificateInspector['inspect']>[0]) => {
      inspections++;
      return inspector.inspect(source);
    },
  } as CertificateInspector;
  const service = new CertificatesService(
    repo.asRepository(),
    counting,
    monitor,
    files,
    policy,
    audit,
    clock,
    unitCursors(),
  );
  return { service, repo, auditRepo, clock, probes, inspections: () => inspections };
}

async function code(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainException);
  return (err as DomainException).code;
}

describe('CertificatesService', () => {
  let leaf: Issued;
  let other: Issued;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const now = new ManualClock().now();
    leaf = await issue(
      null,
      { cn: 'api.example.test', dns: ['api.example.test'], notAfter: daysFromNow(60, now) },
      now,
    );
    other = await issue(null, { cn: 'b.example.test', dns: ['b.example.test'], notAfter: daysFromNow(10, now) }, now);
  });

  it('takes exactly one source, and port/servername only with a host, expectedHost only without', async () => {
    const { service, repo, inspections } = setup(leaf);
    const bad: Partial<CreateCertificateDto>[] = [
      {},
      { pem: leaf.pem, host: 'api.example.test' },
      { path: '/etc/tls/a.pem', pem: leaf.pem },
      { pem: leaf.pem, port: 443 },
      { path: '/etc/tls/a.pem', servername: 'x.example.test' },
      { host: 'api.example.test', expectedHost: 'api.example.test' },
    ];
    for (const dto of bad)
      expect(await code(service.create(alice, dto as CreateCertificateDto))).toBe(
        CertificatesErrorCode.CERTIFICATE_SOURCE_INVALID,
      );
    expect(repo.rows.size).toBe(0);
    expect(inspections()).toBe(0);
  });

  it('a PEM is stored as certificates only: one with a private key, or none at all, is refused', async () => {
    const { service, repo } = setup(leaf);
    expect(await code(service.create(alice, { pem: leaf.pem + leaf.keyPem }))).toBe(
      CertificatesErrorCode.CERTIFICATE_PEM_INVALID,
    );
    expect(await code(service.create(alice, { pem: 'hello' }))).toBe(CertificatesErrorCode.CERTIFICATE_PEM_INVALID);
    expect(repo.rows.size).toBe(0);
    const created = await service.create(alice, { pem: `\n\n${leaf.pem}\n`, expectedHost: 'API.example.test' });
    const stored = repo.stored(created.id);
    expect(stored).toMatchObject({
      sourceType: 'pem',
      sourceKey: `pem:${new X509Certificate(leaf.pem).fingerprint256}`,
      expectedHost: 'api.example.test',
    });
    expect(stored.pem).toBe(leaf.pem);
  });

  it('an endpoint is normalised (case, trailing dot, default port) and checked against its servername or host', async () => {
    const { service, repo, probes } = setup(leaf);
    const created = await service.create(alice, { host: 'API.Example.TEST.' });
    expect(repo.stored(created.id)).toMatchObject({
      host: 'api.example.test',
      port: 443,
      servername: null,
      expectedHost: 'api.example.test',
      sourceKey: 'endpoint:api.example.test:443:',
    });
    expect(probes).toEqual([{ address: '203.0.113.10', port: 443, servername: 'api.example.test' }]);
    const sni = await service.create(alice, { host: '203.0.113.10', port: 8443, servername: 'API.example.test.' });
    expect(repo.stored(sni.id)).toMatchObject({
      sourceKey: 'endpoint:203.0.113.10:8443:api.example.test',
      expectedHost: 'api.example.test',
    });
  });

  it('refuses endpoints and paths the policy does not allow, before any look at them', async () => {
    const { service, repo, inspections } = setup(leaf);
    expect(await code(service.create(alice, { host: 'db.internal' }))).toBe(
      CertificatesErrorCode.CERTIFICATE_ENDPOINT_NOT_ALLOWED,
    );
    expect(await code(service.create(alice, { path: '/root/.ssh/id_rsa' }))).toBe(
      CertificatesErrorCode.CERTIFICATE_PATH_NOT_ALLOWED,
    );
    expect(repo.rows.size).toBe(0);
    expect(inspections()).toBe(0);
    const file = await service.create(alice, { path: '/etc/tls//edge.pem' });
    expect(repo.stored(file.id)).toMatchObject({ sourceType: 'file', path: '/etc/tls/edge.pem' });
  });

  it('the same source twice for one owner is refused (also when a parallel request wins the insert); others may add it', async () => {
    const { service, repo } = setup(leaf);
    await service.create(alice, { host: 'api.example.test' });
    expect(await code(service.create(alice, { host: 'API.example.test' }))).toBe(
      CertificatesErrorCode.CERTIFICATE_EXISTS,
    );
    await expect(service.create(bob, { host: 'api.example.test' })).resolves.toBeDefined();
    repo.insertFailure = new QueryFailedError(
      'INSERT',
      [],
      Object.assign(new Error('duplicate key'), { code: '23505' }),
    );
    expect(await code(service.create(alice, { host: 'other.example.test' }))).toBe(
      CertificatesErrorCode.CERTIFICATE_EXISTS,
    );
  });

  it(`one owner monitors at most ${MAX_CERTIFICATES_PER_OWNER} certificates`, async () => {
    const { service, repo } = setup(leaf);
    for (let i = 0; i < MAX_CERTIFICATES_PER_OWNER; i++) repo.seed({ ownerId: ALICE });
    expect(await code(service.create(alice, { host: 'api.example.test' }))).toBe(
      CertificatesErrorCode.CERTIFICATE_LIMIT_REACHED,
    );
    await expect(service.create(bob, { host: 'api.example.test' })).resolves.toBeDefined();
  });

  it('a new entry is checked at once: its first check, status and audit are part of its creation', async () => {
    const { service, repo, auditRepo, clock } = setup(other);
    const created = await service.create(alice, { host: 'b.example.test', label: 'billing' });
    expect(created).toMatchObject({
      label: 'billing',
      status: 'WARN', // 10 days left (warn at 30) and self-signed outside production: both WARN
      daysLeft: 10,
      lastCheckedAt: clock.now().toISOString(),
      managedBy: 'user',
      checks: [expect.objectContaining({ trigger: 'create', status: 'WARN', protocol: 'TLSv1.3' })],
    });
    const [event] = auditRepo.actions('certificate.create');
    expect(event.details).toEqual({
      source: 'endpoint',
      sourceKey: 'endpoint:b.example.test:443:',
      status: 'WARN',
    });
    expect(repo.checkRows[0].transaction).toBeDefined();
    expect(auditRepo.writtenIn(event)).toBe(repo.checkRows[0].transaction);
  });

  it("someone else's certificate answers 404 for reading, checking and deleting; an admin may do all three", async () => {
    const { service, repo, auditRepo } = setup(leaf);
    const mine = await service.create(alice, { host: 'api.example.test' });
    for (const attempt of [service.get(bob, mine.id), service.checkNow(bob, mine.id), service.remove(bob, mine.id)])
      expect(await code(attempt)).toBe(CertificatesErrorCode.CERTIFICATE_NOT_FOUND);
    expect(repo.rows.has(mine.id)).toBe(true);
    await expect(service.get(admin, mine.id)).resolves.toMatchObject({ id: mine.id });
    await service.remove(admin, mine.id);
    expect(repo.rows.has(mine.id)).toBe(false);
    expect(auditRepo.actions('certificate.delete')[0]).toMatchObject({ actorId: 'admin', targetId: mine.id });
    expect(await code(service.get(alice, mine.id))).toBe(CertificatesErrorCode.CERTIFICATE_NOT_FOUND);
  });

  it('a manual check runs at most once per 10 seconds per certificate', async () => {
    const { service, clock, inspections } = setup(leaf);
    const created = await service.create(alice, { host: 'api.example.test' });
    expect(inspections()).toBe(1);
    clock.advance(9_999);
    const early = await service.checkNow(alice, created.id);
    expect(early.checks).toHaveLength(1);
    clock.advance(1);
    const due = await service.checkNow(alice, created.id);
    expect(due.checks.map((c) => c.trigger)).toEqual(['manual', 'create']);
  });

  it('lists one’s own entries (an admin sees all), filtered by days to expiry from now', async () => {
    const { service, repo, clock } = setup(leaf);
    repo.seed({ ownerId: ALICE, notAfter: new Date(clock.nowMs() + 10 * 86_400_000) });
    repo.seed({ ownerId: ALICE, notAfter: new Date(clock.nowMs() + 40 * 86_400_000) });
    repo.seed({ ownerId: BOB, notAfter: new Date(clock.nowMs() + 5 * 86_400_000) });
    expect((await service.list(alice, {})).items).toHaveLength(2);
    expect((await service.list(alice, { expiresWithinDays: 30 })).items.map((c) => c.daysLeft)).toEqual([10]);
    expect((await service.list(admin, { expiresWithinDays: 30 })).items.map((c) => c.daysLeft).sort()).toEqual([10, 5]);
    const page = await service.list(admin, { limit: 2 });
    expect(page.items).toHaveLength(2);
    expect((await service.list(admin, { limit: 2, cursor: page.nextCursor! })).items).toHaveLength(1);
  });
});
