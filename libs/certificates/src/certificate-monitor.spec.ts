import { AccountData } from '@app/core';
import { Logger } from '@nestjs/common';
import { X509Certificate } from 'node:crypto';
import { daysFromNow, issue } from '../../../test/support/certs';
import { fakeAudit } from '../../../test/fakes/audit';
import { FakeCertificatesRepository, observation, ScriptedInspector } from '../../../test/fakes/certificates';
import { FakeDatabase, ManualClock, unitConfig } from '../../../test/fakes/core';
import { fakeNotifications, WEBHOOK_ENV } from '../../../test/fakes/notifications';
import { CertificateAlerts } from './certificate-alerts';
import type { CheckStatus } from './certificate-checks';
import { CertificateMonitor, CHECK_HISTORY } from './certificate-monitor';

const DAY = 86_400_000;
const HOST = 'api.example.test';

function setup(concurrency = 4) {
  const db = new FakeDatabase();
  const clock = new ManualClock();
  const config = unitConfig({ CERT_CHECK_CONCURRENCY: String(concurrency), ...WEBHOOK_ENV });
  const repo = new FakeCertificatesRepository(db);
  const inspector = new ScriptedInspector();
  const { notifications, outbox } = fakeNotifications(db, clock, config);
  const { audit, auditRepo } = fakeAudit(db, clock);
  const monitor = new CertificateMonitor(
    repo.asRepository(),
    inspector.asInspector(),
    new CertificateAlerts(notifications, audit, new AccountData()),
    clock,
    config,
  );
  return { repo, inspector, outbox, auditRepo, clock, monitor };
}

describe('CertificateMonitor', () => {
  let leaf: X509Certificate;
  let renewed: X509Certificate;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const now = new ManualClock().now();
    leaf = new X509Certificate((await issue(null, { cn: HOST, dns: [HOST], notAfter: daysFromNow(20, now) }, now)).pem);
    renewed = new X509Certificate(
      (await issue(null, { cn: HOST, dns: [HOST], notAfter: daysFromNow(90, now) }, now)).pem,
    );
  });

  it('alerts once per worsening, stays quiet on the same state, reports recovery; the state is remembered', async () => {
    const { repo, inspector, outbox, auditRepo, clock, monitor } = setup();
    const row = repo.seed({ host: HOST, fingerprintSha256: leaf.fingerprint256 });
    const days: CheckStatus[] = ['OK', 'WARN', 'WARN', 'CRITICAL', 'CRITICAL', 'WARN', 'CRITICAL', 'OK', 'OK'];
    const alerts: (string | undefined)[] = [];
    for (const status of days) {
      inspector.next.set(HOST, observation(status, [leaf]));
      alerts.push((await monitor.check(row.id, 'schedule'))?.alert);
      expect(repo.stored(row.id)).toMatchObject({ status, alertState: status });
      clock.advance(DAY);
    }
    expect(alerts).toEqual([
      undefined,
      'certificate.alert',
      undefined,
      'certificate.alert',
      undefined,
      undefined, // better, but not well: no news
      'certificate.alert', // worse than the state last remembered (WARN)
      'certificate.recovered',
      undefined,
    ]);
    expect(outbox.webhookEvents().map((w) => [w.kind, w.data.previousStatus, w.data.status])).toEqual([
      ['certificate.alert', 'OK', 'WARN'],
      ['certificate.alert', 'WARN', 'CRITICAL'],
      ['certificate.alert', 'WARN', 'CRITICAL'],
      ['certificate.recovered', 'CRITICAL', 'OK'],
    ]);
    expect(auditRepo.allActions()).toEqual(outbox.webhookEvents().map((w) => w.kind));
  });

  it('another certificate at the same endpoint is a renewal, told with both fingerprints', async () => {
    const { repo, inspector, outbox, monitor } = setup();
    const row = repo.seed({ host: HOST, fingerprintSha256: leaf.fingerprint256, status: 'OK' });
    inspector.next.set(HOST, observation('OK', [renewed]));
    expect((await monitor.check(row.id, 'schedule'))?.alert).toBe('certificate.renewed');
    expect(outbox.webhookEvents()[0].data).toMatchObject({
      fingerprintSha256: renewed.fingerprint256,
      previousFingerprintSha256: leaf.fingerprint256,
    });
    expect(repo.stored(row.id).fingerprintSha256).toBe(renewed.fingerprint256);
    expect((await monitor.check(row.id, 'schedule'))?.alert).toBeUndefined();
  });

  it('records every check in the history and the row summary; the alert, history and row share one transaction', async () => {
    const { repo, inspector, outbox, clock, monitor } = setup();
    const row = repo.seed({ host: HOST });
    inspector.next.set(
      HOST,
      observation(
        'CRITICAL',
        [leaf],
        [
          { name: 'expiry', status: 'WARN', reason: 'expires in 19 days' },
          { name: 'hostname', status: 'CRITICAL', reason: 'does not cover it' },
          { name: 'chain', status: 'CRITICAL', reason: 'incomplete' },
        ],
      ),
    );
    await monitor.check(row.id, 'manual');
    expect(repo.stored(row.id)).toMatchObject({
      status: 'CRITICAL',
      statusReason: 'hostname: does not cover it',
      lastCheckedAt: clock.now(),
      fingerprintSha256: leaf.fingerprint256,
      subject: `CN=${HOST}`,
      notAfter: new Date(leaf.validTo),
    });
    expect(repo.stored(row.id).chain).toHaveLength(1);
    expect(repo.checkRows).toEqual([
      expect.objectContaining({ certificateId: row.id, trigger: 'manual', status: 'CRITICAL', protocol: 'TLSv1.3' }),
    ]);
    expect(repo.checkRows[0].transaction).toBeDefined();
    expect(outbox.webhookEvents()[0].transaction).toBe(repo.checkRows[0].transaction);
    inspector.next.set(HOST, observation('OK', [leaf]));
    await monitor.check(row.id, 'schedule');
    expect(repo.stored(row.id).statusReason).toBe('all checks passed');
  });

  it('a failed retrieval keeps what the last good look saw', async () => {
    const { repo, inspector, monitor } = setup();
    const row = repo.seed({ host: HOST });
    inspector.next.set(HOST, observation('OK', [leaf]));
    await monitor.check(row.id, 'schedule');
    inspector.next.set(HOST, observation('CRITICAL', null));
    const outcome = await monitor.check(row.id, 'schedule');
    expect(outcome?.alert).toBe('certificate.alert');
    expect(repo.stored(row.id)).toMatchObject({
      status: 'CRITICAL',
      statusReason: 'retrieval: CRITICAL for the test',
      fingerprintSha256: leaf.fingerprint256,
      subject: `CN=${HOST}`,
    });
  });

  it('an observation older than one already recorded is not applied (no backwards state, no double alert)', async () => {
    const { repo, inspector, outbox, clock, monitor } = setup();
    const row = repo.seed({ host: HOST, status: 'OK' });
    inspector.next.set(HOST, observation('WARN', [leaf]));
    inspector.during = () => {
      // A manual check started later finishes first and records CRITICAL.
      inspector.during = undefined;
      clock.advance(1000);
      Object.assign(repo.stored(row.id), { lastCheckedAt: clock.now(), status: 'CRITICAL', alertState: 'CRITICAL' });
    };
    const outcome = await monitor.check(row.id, 'schedule');
    expect(outcome?.row).toMatchObject({ status: 'CRITICAL', alertState: 'CRITICAL' });
    expect(repo.stored(row.id)).toMatchObject({ status: 'CRITICAL', alertState: 'CRITICAL' });
    expect(repo.checkRows).toHaveLength(0);
    expect(outbox.webhookEvents()).toHaveLength(0);
  });

  it('a certificate deleted before or during its check records nothing', async () => {
    const { repo, inspector, monitor } = setup();
    expect(await monitor.check('c0000000-0000-4000-8000-00000000dead', 'schedule')).toBeUndefined();
    const row = repo.seed({ host: HOST });
    inspector.during = () => void repo.rows.delete(row.id);
    expect(await monitor.check(row.id, 'schedule')).toBeUndefined();
    expect(repo.checkRows).toHaveLength(0);
  });

  it(`keeps the newest ${CHECK_HISTORY} checks per certificate`, async () => {
    const { repo, monitor, clock } = setup();
    const row = repo.seed({ host: HOST });
    const other = repo.seed({ host: 'other.example.test' });
    await monitor.check(other.id, 'schedule');
    for (let i = 0; i < CHECK_HISTORY + 5; i++) {
      await monitor.check(row.id, 'schedule');
      clock.advance(1000);
    }
    const mine = repo.checkRows.filter((c) => c.certificateId === row.id);
    expect(mine).toHaveLength(CHECK_HISTORY);
    expect(mine[CHECK_HISTORY - 1].checkedAt).toEqual(new Date(clock.nowMs() - 1000));
    expect(repo.checkRows.filter((c) => c.certificateId === other.id)).toHaveLength(1);
  });

  it('checkAll checks every certificate (across batches), at most CERT_CHECK_CONCURRENCY at once; one failure stops nothing', async () => {
    const { repo, inspector, monitor } = setup(3);
    for (let i = 0; i < 450; i++) repo.seed({ host: `h${i}.example.test` });
    inspector.next.set('h1.example.test', observation('WARN', null));
    inspector.next.set('h2.example.test', observation('CRITICAL', null));
    inspector.failFor.add('h3.example.test');
    inspector.slow = true;
    const progress: [number, number][] = [];
    const counts = await monitor.checkAll('schedule', (done, total) => progress.push([done, total]));
    expect(counts).toEqual({ checked: 449, ok: 447, warn: 1, critical: 1, alerts: 2, failed: 1 });
    expect(new Set(inspector.seen).size).toBe(450);
    expect(inspector.maxInFlight).toBe(3);
    expect(progress).toHaveLength(450);
    expect(progress[449]).toEqual([450, 450]);
  });
});
