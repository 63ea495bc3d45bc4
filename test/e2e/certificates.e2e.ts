import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, Server as TlsServer } from 'node:tls';
import { CertificateCheckJob } from '@app/certificates';
import { JobRunner } from '@app/core';
import { NotificationsService, verifyWebhookSignature } from '@app/notifications';
import { startTestApp, TestApp } from '../support/app';
import { bearer, jsonPost } from '../support/auth-helpers';
import { daysFromNow, issue, Issued, pki } from '../support/certs';
import { adminQuery } from '../support/database';
import { HttpReceiver } from '../support/http-receiver';
import { problem, userWithScopes } from '../support/key-helpers';
import { TestClock } from '../support/test-clock';

const WEBHOOK_SECRET = 'certificate-webhook-secret-for-tests-0123';
const SCOPES = ['certificates:read', 'certificates:write'];

interface Detail {
  id: string;
  status: string;
  statusReason: string;
  daysLeft: number;
  source: Record<string, unknown>;
  chain: { subject: string; signatureAlgorithm: string; keyCurve: string | null }[];
  checks: {
    status: string;
    trigger: string;
    protocol: string | null;
    cipher: string | null;
    results: { name: string; status: string; reason: string }[];
  }[];
}

/** A real TLS endpoint serving leaf + intermediate; counts bytes the client sends after the handshake. */
async function tlsEndpoint(
  leaf: Issued,
  chain: Issued[],
): Promise<{ server: TlsServer; port: number; bytesReceived: () => number; serve(leaf: Issued): void }> {
  let bytes = 0;
  const context = (l: Issued) => ({ key: l.keyPem, cert: [l.pem, ...chain.map((c) => c.pem)].join('') });
  const server = createTlsServer(context(leaf), (socket) => {
    socket.on('data', (d: Buffer) => (bytes += d.length));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { server, port, bytesReceived: () => bytes, serve: (l) => server.setSecureContext(context(l)) };
}

describe('certificate inventory (real PostgreSQL, real TLS endpoints)', () => {
  let t: TestApp;
  let root: Issued;
  let intermediate: Issued;
  let allowedDir: string;
  let token: string;
  const clock = new TestClock();
  const receiver = new HttpReceiver();
  const servers: (TlsServer | NetServer)[] = [];

  const post = (body: unknown, tok = token) => t.request('/v1/certificates', jsonPost(body, bearer(tok)));
  const created = async (body: unknown): Promise<Detail> => {
    const res = await post(body);
    const json = (await res.json()) as Detail;
    if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const leafFor = (o: Partial<Parameters<typeof issue>[1]> = {}) =>
    issue(intermediate, { cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'], ...o });
  const countRows = async () =>
    Number((await adminQuery<{ n: string }>(t.db, 'SELECT count(*) AS n FROM certificates'))[0].n);

  beforeAll(async () => {
    await receiver.start();
    ({ root, intermediate } = await pki());
    allowedDir = mkdtempSync(join(tmpdir(), 'sb-certs-'));
    const anchors = join(mkdtempSync(join(tmpdir(), 'sb-anchors-')), 'root.pem');
    writeFileSync(anchors, root.pem);
    t = await startTestApp({
      clock,
      env: {
        CERT_FILE_DIRS: allowedDir,
        CERT_EXTRA_CA_FILE: anchors,
        CERT_ENDPOINT_TIMEOUT_MS: '700',
        CERT_CHECK_CRON: 'off',
        NOTIFY_WEBHOOK_URL: receiver.url,
        NOTIFY_WEBHOOK_SECRET: WEBHOOK_SECRET,
      },
    });
    ({ token } = await userWithScopes(t, SCOPES));
  });
  afterAll(async () => {
    for (const s of servers) s.close();
    await t?.stop();
    await receiver.stop();
  });

  it('adds a PEM chain, parses it with node:crypto and checks it at once', async () => {
    const leaf = await leafFor({ key: 'rsa2048' });
    const body = await created({ pem: leaf.pem + intermediate.pem, label: 'api', expectedHost: 'localhost' });
    expect(body).toMatchObject({
      status: 'OK',
      statusReason: 'all checks passed',
      source: { type: 'pem' },
      managedBy: 'user',
    });
    expect(body.daysLeft).toBeGreaterThanOrEqual(88);
    expect(body.chain.map((c) => c.subject)).toEqual(['CN=localhost', 'CN=Test Intermediate CA']);
    expect(body.checks[0].results.map((r) => r.name)).toEqual([
      'expiry',
      'validity',
      'hostname',
      'chain',
      'key-strength',
      'signature-algorithm',
      'self-signed',
    ]);
    expect(await problem(await post({ pem: leaf.pem }))).toMatchObject({ status: 409, code: 'CERTIFICATE_EXISTS' });
    const list = (await (
      await t.request('/v1/certificates?sort=-notAfter&status=OK', { headers: bearer(token) })
    ).json()) as { items: { id: string }[] };
    expect(list.items.map((i) => i.id)).toContain(body.id);
    const read = await t.request(`/v1/certificates/${body.id}`, { headers: bearer(token) });
    expect(read.status).toBe(200);
    expect(((await read.json()) as Detail).chain.map((c) => c.subject)).toEqual([
      'CN=localhost',
      'CN=Test Intermediate CA',
    ]);
    // A manual check within 10 s of the last one answers that one; after that it checks again.
    const checkNow = async () =>
      (await (
        await t.request(`/v1/certificates/${body.id}/check`, { method: 'POST', headers: bearer(token) })
      ).json()) as Detail;
    expect((await checkNow()).checks.map((c) => c.trigger)).toEqual(['create']);
    clock.advance(11_000);
    expect((await checkNow()).checks.map((c) => c.trigger)).toEqual(['manual', 'create']);
  });

  it('refuses bad input with problem+json and stores nothing', async () => {
    const before = await countRows();
    const leaf = await leafFor();
    const cases: [unknown, number, string][] = [
      [{ pem: 'not a certificate' }, 422, 'CERTIFICATE_PEM_INVALID'],
      [{ pem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' }, 422, 'CERTIFICATE_PEM_INVALID'],
      [{ pem: leaf.pem + leaf.keyPem }, 422, 'CERTIFICATE_PEM_INVALID'],
      [{ pem: leaf.pem, host: 'localhost' }, 400, 'CERTIFICATE_SOURCE_INVALID'],
      [{}, 400, 'CERTIFICATE_SOURCE_INVALID'],
      [{ pem: leaf.pem, port: 443 }, 400, 'CERTIFICATE_SOURCE_INVALID'],
      [{ host: 'localhost', port: 70000 }, 400, 'VALIDATION_FAILED'],
      [{ host: 'local host' }, 400, 'VALIDATION_FAILED'],
      [{ pem: leaf.pem, extra: 1 }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of cases) {
      const res = await post(body);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await problem(res)).toMatchObject({ status, code });
    }
    expect(await countRows()).toBe(before);
  });

  it('reads files only inside CERT_FILE_DIRS (symlinks and .. resolved), never a private key', async () => {
    const leaf = await leafFor();
    writeFileSync(join(allowedDir, 'fullchain.pem'), leaf.pem + intermediate.pem);
    const ok = await created({ path: join(allowedDir, 'fullchain.pem'), expectedHost: 'localhost' });
    expect(ok).toMatchObject({ status: 'OK', source: { type: 'file', path: join(allowedDir, 'fullchain.pem') } });

    const outsideDir = mkdtempSync(join(tmpdir(), 'sb-outside-'));
    writeFileSync(join(outsideDir, 'cert.pem'), leaf.pem);
    symlinkSync(join(outsideDir, 'cert.pem'), join(allowedDir, 'link.pem'));
    symlinkSync(outsideDir, join(allowedDir, 'outdir'));
    // (The `..` path is built by hand: join() would normalise the dots away before the request.)
    for (const path of [
      join(outsideDir, 'cert.pem'),
      '/etc/passwd',
      `${allowedDir}/../${outsideDir.split('/').pop()}/cert.pem`,
      join(allowedDir, 'link.pem'),
      // Through a directory link: an outside file that exists and one that does not answer alike (item 6).
      join(allowedDir, 'outdir', 'cert.pem'),
      join(allowedDir, 'outdir', 'missing.pem'),
      'relative/cert.pem',
    ]) {
      const res = await post({ path });
      expect([403, 400]).toContain(res.status);
      expect((await problem(res)).code).toMatch(/CERTIFICATE_PATH_NOT_ALLOWED|VALIDATION_FAILED/);
    }

    writeFileSync(join(allowedDir, 'combined.pem'), leaf.keyPem + leaf.pem);
    const keyed = await created({ path: join(allowedDir, 'combined.pem') });
    expect(keyed.status).toBe('CRITICAL');
    expect(keyed.checks[0].results).toEqual([
      { name: 'retrieval', status: 'CRITICAL', reason: expect.stringContaining('holds a private key') },
    ]);
    const [row] = await adminQuery<Record<string, unknown>>(t.db, 'SELECT * FROM certificates WHERE id = $1', [
      keyed.id,
    ]);
    expect(JSON.stringify(row)).not.toContain('PRIVATE KEY');
  });

  it('fetches a live endpoint’s chain over TLS without sending anything beyond the handshake', async () => {
    const leaf = await leafFor();
    const ep = await tlsEndpoint(leaf, [intermediate]);
    servers.push(ep.server);
    const body = await created({ host: '127.0.0.1', port: ep.port });
    expect(body).toMatchObject({ status: 'OK', source: { type: 'endpoint', host: '127.0.0.1', port: ep.port } });
    expect(body.chain).toHaveLength(2);
    expect(body.checks[0].protocol).toBe('TLSv1.3');
    expect(body.checks[0].cipher).toMatch(/^TLS_/);
    expect(body.checks[0].results.find((r) => r.name === 'hostname')).toMatchObject({
      status: 'OK',
      reason: 'covers 127.0.0.1',
    });
    expect(ep.bytesReceived()).toBe(0);

    const wrong = await created({ host: '127.0.0.1', port: ep.port, servername: 'www.example.test' });
    expect(wrong.status).toBe('CRITICAL');
    expect(wrong.statusReason).toContain('hostname: does not cover www.example.test');
  });

  it('a missing intermediate, a closed port, a silent peer and a non-TLS peer are stored as CRITICAL results, never a 500', async () => {
    const leaf = await leafFor();
    const bare = await tlsEndpoint(leaf, []);
    servers.push(bare.server);
    expect((await created({ host: 'localhost', port: bare.port })).statusReason).toContain('chain: incomplete');

    // Loopback is not public: a closed port, a silent peer and a non-TLS peer answer alike, after the same wait
    // (issue 23 item 5: no port scanner of the server's own network).
    const closed = createNetServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as { port: number }).port;
    closed.close();
    const silent = createNetServer(() => undefined);
    const plain = createNetServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    servers.push(silent, plain);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    for (const port of [
      closedPort,
      (silent.address() as { port: number }).port,
      (plain.address() as { port: number }).port,
    ]) {
      const started = Date.now();
      const body = await created({ host: '127.0.0.1', port });
      expect(Date.now() - started).toBeGreaterThanOrEqual(680);
      expect(body.status).toBe('CRITICAL');
      expect(body.statusReason).toBe(
        'retrieval: no certificate retrieved: closed, filtered, silent or not TLS (details withheld for non-public addresses)',
      );
    }
  });

  it('refuses to probe private, link-local and unspecified addresses (SSRF), storing nothing', async () => {
    const before = await countRows();
    for (const host of ['10.0.0.1', '169.254.169.254', '192.168.1.1', '0.0.0.0', 'fd00::1', '::ffff:10.0.0.1']) {
      expect(await problem(await post({ host, port: 443 }))).toMatchObject({
        status: 403,
        code: 'CERTIFICATE_ENDPOINT_NOT_ALLOWED',
      });
    }
    expect(await countRows()).toBe(before);
  });

  it('scopes and ownership: certificates:* required, another user’s entry answers 404', async () => {
    const mine = await created({ pem: (await leafFor()).pem + intermediate.pem });
    const other = await userWithScopes(t, SCOPES);
    expect(
      await problem(await t.request(`/v1/certificates/${mine.id}`, { headers: bearer(other.token) })),
    ).toMatchObject({ status: 404, code: 'CERTIFICATE_NOT_FOUND' });
    expect(
      (await t.request(`/v1/certificates/${mine.id}`, { method: 'DELETE', headers: bearer(other.token) })).status,
    ).toBe(404);
    const plainUser = await userWithScopes(t, []);
    expect(await problem(await t.request('/v1/certificates', { headers: bearer(plainUser.token) }))).toMatchObject({
      status: 403,
      code: 'INSUFFICIENT_SCOPES',
    });
    expect((await t.request(`/v1/certificates/${mine.id}`, { method: 'DELETE', headers: bearer(token) })).status).toBe(
      204,
    );
    expect((await t.request(`/v1/certificates/${mine.id}`, { headers: bearer(token) })).status).toBe(404);
  });

  it('exports expiry and status gauges on /metrics', async () => {
    const text = await (await t.request('/metrics')).text();
    expect(text).toMatch(
      /certificate_expiry_seconds\{id="[0-9a-f-]{36}",subject="CN=localhost",source="endpoint"\} \d+/,
    );
    expect(text).toMatch(/certificate_check_status\{id="[0-9a-f-]{36}",subject="CN=localhost",source="endpoint"\} 2/);
  });

  it('the daily job alerts once per worsening state across runs, signs the webhook, audits, and records its runs', async () => {
    await adminQuery(t.db, 'DELETE FROM certificates');
    await adminQuery(t.db, 'DELETE FROM outbox_messages');
    const leaf = await leafFor({ notAfter: daysFromNow(40, clock.now()) });
    const ep = await tlsEndpoint(leaf, [intermediate]);
    servers.push(ep.server);
    const cert = await created({ host: '127.0.0.1', port: ep.port });
    expect(cert.status).toBe('OK');
    const job = t.app.get(CertificateCheckJob);
    const day = 86_400_000;
    const alerts = async () =>
      adminQuery<{ kind: string; body: string }>(
        t.db,
        `SELECT kind, body FROM outbox_messages WHERE channel = 'webhook' ORDER BY created_at`,
      );

    clock.advance(61_000 - (clock.nowMs() % 60_000)); // one second into a minute: the two ticks below share their period
    expect(await job.tick()).toMatchObject({
      status: 'ran',
      outcome: 'success',
      counts: { checked: 1, ok: 1, alerts: 0 },
    });
    expect(await job.tick()).toEqual({ status: 'skipped', reason: 'already-ran' }); // same period: idempotent
    clock.advance(15 * day); // 25 days left → WARN
    expect(await job.tick()).toMatchObject({ counts: { warn: 1, alerts: 1 } });
    clock.advance(day); // 24 days left: still WARN, no repeat
    expect(await job.tick()).toMatchObject({ counts: { warn: 1, alerts: 0 } });
    clock.advance(19 * day); // 5 days left → CRITICAL: worse, alerts again
    expect(await job.tick()).toMatchObject({ counts: { critical: 1, alerts: 1 } });
    clock.advance(day);
    expect(await job.tick()).toMatchObject({ counts: { critical: 1, alerts: 0 } });
    ep.serve(await leafFor({ notAfter: daysFromNow(90, clock.now()) })); // renewed on the endpoint
    clock.advance(day);
    expect(await job.tick()).toMatchObject({ counts: { ok: 1, alerts: 1 } });

    // The owner is mailed each alert too (issue 23 item 15: without a webhook, nobody else would hear of it).
    const [owner] = await adminQuery<{ email: string }>(
      t.db,
      'SELECT u.email FROM users u JOIN certificates c ON c.owner_id = u.id WHERE c.id = $1',
      [cert.id],
    );
    const mailed = await adminQuery<{ kind: string; recipient: string; subject: string }>(
      t.db,
      `SELECT kind, recipient, subject FROM outbox_messages WHERE channel = 'email' AND kind LIKE 'certificate.%' ORDER BY created_at`,
    );
    expect(mailed.map((m) => [m.kind, m.recipient])).toEqual([
      ['certificate.alert', owner.email],
      ['certificate.alert', owner.email],
      ['certificate.renewed', owner.email],
    ]);
    expect(mailed[1].subject).toMatch(/: CRITICAL$/);

    const queued = await alerts();
    expect(queued.map((a) => [a.kind, (JSON.parse(a.body) as { data: { status: string } }).data.status])).toEqual([
      ['certificate.alert', 'WARN'],
      ['certificate.alert', 'CRITICAL'],
      ['certificate.renewed', 'OK'],
    ]);
    const first = JSON.parse(queued[0].body) as { data: Record<string, unknown> };
    expect(first.data).toMatchObject({
      certificateId: cert.id,
      previousStatus: 'OK',
      daysLeft: 24 /* 24.99 whole days: notAfter has second precision */,
      subject: 'CN=localhost',
      source: { type: 'endpoint', host: '127.0.0.1', port: ep.port },
    });
    expect(first.data.problems).toEqual([expect.objectContaining({ name: 'expiry', status: 'WARN' })]);

    const runs = await t.app.get(JobRunner).recent('certificate-check');
    expect(runs.filter((r) => r.outcome === 'success')).toHaveLength(6); // seven ticks, one skipped as a repeat of its period
    const audited = await adminQuery(
      t.db,
      `SELECT action FROM audit_events WHERE target_id = $1 AND action LIKE 'certificate.%' ORDER BY id`,
      [cert.id],
    );
    expect(audited.map((a) => a.action)).toEqual([
      'certificate.create',
      'certificate.alert',
      'certificate.alert',
      'certificate.renewed',
    ]);

    while ((await t.app.get(NotificationsService).deliverDue()) > 0);
    expect(receiver.received).toHaveLength(3);
    for (const r of receiver.received) {
      expect(
        verifyWebhookSignature(
          WEBHOOK_SECRET,
          String(r.headers['webhook-signature']),
          r.body,
          Math.floor(clock.nowMs() / 1000),
        ),
      ).toBe(true);
      expect(
        verifyWebhookSignature(
          'another-secret-entirely-0123456789',
          String(r.headers['webhook-signature']),
          r.body,
          Math.floor(clock.nowMs() / 1000),
        ),
      ).toBe(false);
    }
    expect(t.logs.text).toContain('certificate alert');
  });
});
