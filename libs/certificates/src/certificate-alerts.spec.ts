import { AccountData } from '@app/core';
import { Logger, LoggerService } from '@nestjs/common';
import { X509Certificate } from 'node:crypto';
import { daysFromNow, issue } from '../../../test/support/certs';
import { fakeAudit } from '../../../test/fakes/audit';
import { FakeCertificatesRepository, observation } from '../../../test/fakes/certificates';
import { FakeDatabase, ManualClock, transactionOf, unitConfig } from '../../../test/fakes/core';
import { fakeNotifications, WEBHOOK_ENV } from '../../../test/fakes/notifications';
import { CertificateAlerts, decideAlert } from './certificate-alerts';

describe('CertificateAlerts', () => {
  const clock = new ManualClock();
  let leaf: X509Certificate;
  const warnings: unknown[] = [];
  const logger: LoggerService = {
    log: () => undefined,
    error: () => undefined,
    warn: (message: unknown) => void warnings.push(message),
  };

  beforeAll(async () => {
    Logger.overrideLogger(logger);
    const now = clock.now();
    leaf = new X509Certificate(
      (await issue(null, { cn: 'api.example.test', dns: ['api.example.test'], notAfter: daysFromNow(12.5, now) }, now))
        .pem,
    );
  });

  const setup = () => {
    const db = new FakeDatabase();
    const { notifications, outbox } = fakeNotifications(db, clock, unitConfig(WEBHOOK_ENV));
    const { audit, auditRepo } = fakeAudit(db, clock);
    return {
      db,
      outbox,
      auditRepo,
      certificates: new FakeCertificatesRepository(db),
      alerts: new CertificateAlerts(notifications, audit, new AccountData()),
    };
  };

  /** An alerts instance whose owner directory knows one user, without or with a webhook configured. */
  const withOwners = (env: Record<string, string>) => {
    const db = new FakeDatabase();
    const { notifications, outbox } = fakeNotifications(db, clock, unitConfig(env));
    const { audit } = fakeAudit(db, clock);
    const accounts = new AccountData();
    accounts.registerOwnerCheck({
      confirmPassword: () => Promise.reject(new Error('not used')),
      mailAddressOf: async (id) => (id === OWNER ? 'owner@example.com' : null),
    });
    return {
      db,
      outbox,
      certificates: new FakeCertificatesRepository(db),
      alerts: new CertificateAlerts(notifications, audit, accounts),
    };
  };
  const OWNER = '6cf5cc0c-fe00-40ac-9752-930e72e6b6f7';

  it('mails the owner, in the check’s transaction, with no webhook configured and with one (issue 23 item 15)', async () => {
    for (const env of [{}, WEBHOOK_ENV]) {
      const { db, outbox, alerts, certificates } = withOwners(env);
      const row = certificates.seed({
        ownerId: OWNER,
        label: 'edge',
        alertState: 'OK',
        fingerprintSha256: leaf.fingerprint256,
      });
      const obs = observation(
        'CRITICAL',
        [leaf],
        [{ name: 'expiry', status: 'CRITICAL', reason: 'expires in 12 days' }],
      );
      const tx = await db.transaction(async (em) => {
        await alerts.raise(em, row, obs, decideAlert(row, obs), clock.now());
        return transactionOf(em);
      });
      const mails = outbox.mails('certificate.alert');
      expect(outbox.writtenIn(mails[0])).toBe(tx);
      expect(mails).toHaveLength(1);
      expect(mails[0]).toMatchObject({ recipient: 'owner@example.com', subject: 'Certificate edge: CRITICAL' });
      expect(mails[0].body).toContain('is now CRITICAL (was OK)');
      expect(mails[0].body).toContain('expiry (CRITICAL): expires in 12 days');
      expect(outbox.webhookEvents()).toHaveLength(Object.keys(env).length ? 1 : 0);
    }
  });

  it('a certificate without an owner (the dev certificate) or whose owner is gone mails nobody', async () => {
    const { db, outbox, alerts, certificates } = withOwners({});
    for (const ownerId of [null, '00000000-0000-4000-8000-000000000000']) {
      const row = certificates.seed({ ownerId, alertState: 'OK', fingerprintSha256: leaf.fingerprint256 });
      const obs = observation('WARN', [leaf], []);
      await db.transaction(async (em) => {
        await alerts.raise(em, row, obs, decideAlert(row, obs), clock.now());
      });
    }
    expect(outbox.mails()).toHaveLength(0);
  });

  it('the payload says what changed, where, until when, and only the failing checks', () => {
    const { alerts, certificates } = setup();
    const row = certificates.seed({
      label: 'edge',
      host: 'api.example.test',
      port: 8443,
      servername: 'api.example.test',
      alertState: 'OK',
      fingerprintSha256: leaf.fingerprint256,
    });
    const obs = observation(
      'WARN',
      [leaf],
      [
        { name: 'expiry', status: 'WARN', reason: 'expires in 12 days' },
        { name: 'chain', status: 'OK', reason: 'complete' },
      ],
    );
    const payload = alerts.payload(row, obs, decideAlert(row, obs), clock.now());
    expect(payload).toEqual({
      certificateId: row.id,
      label: 'edge',
      status: 'WARN',
      previousStatus: 'OK',
      source: { type: 'endpoint', host: 'api.example.test', port: 8443, servername: 'api.example.test' },
      subject: 'CN=api.example.test',
      notAfter: new Date(leaf.validTo).toISOString(),
      daysLeft: 12,
      fingerprintSha256: leaf.fingerprint256,
      previousFingerprintSha256: undefined,
      problems: [{ name: 'expiry', status: 'WARN', reason: 'expires in 12 days' }],
      checkedAt: clock.now().toISOString(),
    });
  });

  it('without a chain (retrieval failed) it falls back to what the row knew; file and pem sources name no host', () => {
    const { alerts, certificates: repo } = setup();
    const notAfter = new Date(clock.nowMs() - 86_400_000);
    const file = repo.seed({ sourceType: 'file', path: '/etc/tls/a.pem', host: null, subject: 'CN=a', notAfter });
    const obs = observation('CRITICAL', null);
    const payload = alerts.payload(file, obs, decideAlert(file, obs), clock.now());
    expect(payload).toMatchObject({
      source: { type: 'file', path: '/etc/tls/a.pem' },
      subject: 'CN=a',
      notAfter: notAfter.toISOString(),
      daysLeft: -1,
    });
    const pem = repo.seed({ sourceType: 'pem', host: null });
    expect(alerts.payload(pem, obs, decideAlert(pem, obs), clock.now()).source).toEqual({ type: 'pem' });
  });

  it('raises through the outbox and the audit in the caller’s transaction, and logs only when told the commit is done', async () => {
    const { db, alerts, outbox, auditRepo, certificates } = setup();
    const row = certificates.seed({ fingerprintSha256: 'AA:BB', alertState: 'OK' });
    const obs = observation('OK', [leaf]);
    const decision = decideAlert(row, obs);
    expect(decision.kind).toBe('certificate.renewed');
    warnings.length = 0;
    let transaction: number | undefined;
    const afterCommit = await db.transaction(async (em) => {
      transaction = transactionOf(em);
      return alerts.raise(em, row, obs, decision, clock.now());
    });
    expect(transaction).toBeDefined();
    expect(outbox.webhookEvents()).toEqual([
      {
        transaction,
        kind: 'certificate.renewed',
        data: expect.objectContaining({ previousFingerprintSha256: 'AA:BB', fingerprintSha256: leaf.fingerprint256 }),
      },
    ]);
    expect(auditRepo.rows).toEqual([
      expect.objectContaining({ action: 'certificate.renewed', actorType: 'system', targetId: row.id }),
    ]);
    expect(auditRepo.writtenIn(auditRepo.rows[0])).toBe(transaction);
    expect(warnings).toHaveLength(0);
    afterCommit();
    expect(warnings).toHaveLength(1);
  });
});
