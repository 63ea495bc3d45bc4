import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, Socket } from 'node:net';
import { connect } from 'node:tls';
import { ensureDevCertificates } from '@app/certificates';
import {
  adaptSiteToNginx,
  localSiteValues,
  nginxVersion,
  renderMainConfig,
  renderSite,
  siteTemplate,
} from '../../apps/api/src/nginx-config';
import { createTestDatabase, TestDatabase } from '../support/database';
import { freePortForTests, isListening, waitFor } from '../support/ports';
import { API_MAIN, assertBuilt, ROOT, spawnNode, Spawned } from '../support/process';
import { nginxBinary, RunningTlsFront, startTlsFront } from '../support/nginx';
import { requireOrSkip } from '../support/test-env';

const asRoot = process.getuid?.() === 0;
/** The group nginx's workers run in when the master starts as root without a `user` directive (Debian: nogroup). */
const NGINX_WORKER_GROUP = 'nogroup';
const gidOf = (group: string) =>
  Number(
    readFileSync('/etc/group', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${group}:`))
      ?.split(':')[2],
  );

function httpsVia(front: RunningTlsFront, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: front.httpsPort,
        servername: 'localhost',
        headers: { host: `localhost:${front.httpsPort}`, ...headers },
        path,
        ca: front.ca,
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * The systemd layout: the service in production on a Unix socket (0660, nginx's group) and the real nginx in front of
 * it through that socket; and the first certificate of a new host (placeholder → certbot webroot → deploy hook).
 */
describe('systemd layout: nginx → the app’s Unix socket', () => {
  const binary = nginxBinary();
  const available = requireOrSkip(binary !== undefined, 'nginx');
  const work = mkdtempSync(join(tmpdir(), 'sb-layout-'));
  const runDir = join(work, 'run');
  const socket = join(runDir, 'http.sock');
  let db: TestDatabase;
  let app: Spawned;
  let front: RunningTlsFront;
  let secrets: { peppers: string; keys: string };

  beforeAll(async () => {
    if (!available) return;
    assertBuilt();
    db = await createTestDatabase();
    secrets = { peppers: `1:${randomBytes(32).toString('base64')}`, keys: `v1:${randomBytes(32).toString('base64')}` };
    // /run/security-backend as the unit makes it (RuntimeDirectoryMode=0755): traversable, the socket decides.
    mkdirSync(runDir, { mode: 0o755 });
    chmodSync(work, 0o755);
    chmodSync(runDir, 0o755);
    app = spawnNode(API_MAIN, [], {
      NODE_ENV: 'production',
      DATABASE_URL: db.appUrl,
      MIGRATIONS_DATABASE_URL: db.ownerUrl,
      DATA_DIR: join(work, 'state'),
      SOCKET_PATH: socket,
      SOCKET_MODE: '0660',
      ...(asRoot ? { SOCKET_GROUP: NGINX_WORKER_GROUP } : {}),
      API_KEY_PEPPERS: secrets.peppers,
      ENCRYPTION_KEYS: secrets.keys,
      SMTP_URL: `smtp://127.0.0.1:${await freePortForTests()}`,
      PUBLIC_URL: 'https://localhost',
      // Nothing over TCP is trusted in this layout.
      TRUSTED_PROXIES: '',
    });
    await waitFor(
      async () => {
        if (app.child.exitCode !== null) throw new Error(`exited: ${app.output()}`);
        return app.output().includes('"msg":"listening"') ? true : undefined;
      },
      60_000,
      100,
    );
    front = await startTlsFront(binary!, [`unix:${socket}`]);
  });

  afterAll(async () => {
    await front?.stop();
    if (app?.child.exitCode === null) {
      app.child.kill('SIGTERM');
      await app.exited;
    }
    await db?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('listens on the socket only (no TCP port), with mode 0660 and nginx’s group', () => {
    if (!available) return;
    const st = statSync(socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
    if (asRoot) expect(st.gid).toBe(gidOf(NGINX_WORKER_GROUP));
    const listening = JSON.parse(
      app
        .output()
        .split('\n')
        .find((l) => l.includes('"msg":"listening"'))!,
    ) as {
      url: string;
      node: string;
    };
    expect(listening.url).toBe(`http+unix://${socket}`);
    expect(listening.node).toBe(process.version);
  });

  it('serves through nginx; the app sees nginx’s client address, and a spoofed X-Forwarded-For changes nothing', async () => {
    if (!available) return;
    const res = await httpsVia(front, '/health/ready', { 'x-forwarded-for': '203.0.113.9' });
    expect(res.status).toBe(200);
    const line = await waitFor(
      async () =>
        app
          .output()
          .split('\n')
          .find((l) => l.includes('"msg":"request completed"') && l.includes('"url":"/health/ready"')),
      5000,
      50,
    );
    expect(line).toContain('"ip":"127.0.0.1"');
    expect(app.output()).not.toContain('203.0.113.9');
  });

  it('a local process outside the socket’s group cannot connect (EACCES), so it cannot reach the app or pose as nginx', async () => {
    if (!available || !requireOrSkip(asRoot, 'root (to run a probe as another user)')) return;
    // The probe connects with the effective ids of another user (daemon, uid/gid 1) for the one connect() call;
    // the permission check happens inside that call, and the result arrives later.
    const outcome = new Promise<string>((resolve) => {
      const [egid, euid] = [process.getegid!(), process.geteuid!()];
      let s: Socket;
      try {
        process.setegid!(1);
        process.seteuid!(1);
        s = createConnection(socket);
      } finally {
        process.seteuid!(euid);
        process.setegid!(egid);
      }
      s.on('connect', () => {
        s.destroy();
        resolve('CONNECTED');
      });
      s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    expect(await outcome).toBe('EACCES');
  });

  it('first issuance: placeholder certificate → nginx up → certbot webroot (HTTP-01 through nginx) → deploy hook reloads', async () => {
    if (!available) return;
    const le = join(work, 'letsencrypt');
    const webroot = join(work, 'webroot');
    const dir = join(work, 'nginx-first');
    for (const d of ['logs', 'tmp']) mkdirSync(join(dir, d), { recursive: true });
    const httpsPort = await freePortForTests();
    const httpPort = await freePortForTests();
    const dev = await ensureDevCertificates(join(work, 'dev')); // only for the unused upstream CA setting
    const live = join(le, 'live', 'localhost');
    const site = adaptSiteToNginx(
      renderSite(siteTemplate(), {
        ...localSiteValues({
          upstreams: [`unix:${socket}`],
          httpsPort,
          httpPort,
          certs: dev.paths,
          bodyLimitBytes: 102400,
          dir,
        }),
        SB_TLS_CERT: join(live, 'fullchain.pem'),
        SB_TLS_KEY: join(live, 'privkey.pem'),
        SB_ACME_ROOT: webroot,
      }),
      nginxVersion(binary!)!,
    );
    const conf = join(dir, 'nginx.conf');
    writeFileSync(conf, renderMainConfig(dir, site, { daemon: true }));
    const nginx = `${binary} -p ${dir} -c ${conf}`;

    // A stand-in for certbot: it checks that nginx serves the placeholder and answers the HTTP-01 challenge from the
    // webroot, then "issues" a certificate from a local CA into live/ and runs the --deploy-hook as certbot does.
    const fakeCertbot = join(work, 'fake-certbot.js');
    writeFileSync(
      fakeCertbot,
      `const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs'); const path = require('node:path'); const http = require('node:http'); const tls = require('node:tls');
const arg = (n) => process.argv[process.argv.indexOf(n) + 1];
const [webroot, domain, hook] = [arg('-w'), arg('-d'), arg('--deploy-hook')];
const report = {};
(async () => {
  report.placeholder = await new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: ${httpsPort}, servername: domain, rejectUnauthorized: false }, () => {
      resolve(s.getPeerX509Certificate().subject); s.destroy(); });
    s.on('error', reject);
  });
  const token = 'tok' + Date.now();
  fs.mkdirSync(path.join(webroot, '.well-known', 'acme-challenge'), { recursive: true });
  fs.writeFileSync(path.join(webroot, '.well-known', 'acme-challenge', token), token + '.thumbprint');
  report.challenge = await new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: ${httpPort}, path: '/.well-known/acme-challenge/' + token, headers: { host: domain } }, (res) => {
      let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => resolve(res.statusCode + ' ' + b)); }).on('error', reject);
  });
  const live = path.join(${JSON.stringify(le)}, 'live', domain);
  if (fs.existsSync(live)) throw new Error('live/' + domain + ' exists: certbot would refuse it');
  fs.mkdirSync(live, { recursive: true });
  const t = path.join(${JSON.stringify(work)}, 'ca');
  fs.mkdirSync(t, { recursive: true });
  const o = (...a) => execFileSync('openssl', a, { stdio: 'pipe' });
  o('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=Fake ACME CA', '-keyout', t + '/ca.key', '-out', t + '/ca.pem');
  o('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=' + domain, '-keyout', live + '/privkey.pem', '-out', t + '/leaf.csr');
  fs.writeFileSync(t + '/ext', 'subjectAltName=DNS:' + domain + '\\n');
  o('x509', '-req', '-in', t + '/leaf.csr', '-CA', t + '/ca.pem', '-CAkey', t + '/ca.key', '-CAcreateserial', '-days', '30', '-extfile', t + '/ext', '-out', live + '/cert.pem');
  fs.writeFileSync(live + '/fullchain.pem', fs.readFileSync(live + '/cert.pem', 'utf8') + fs.readFileSync(t + '/ca.pem', 'utf8'));
  fs.writeFileSync(${JSON.stringify(join(work, 'certbot-report.json'))}, JSON.stringify(report));
  const r = spawnSync('sh', [hook], { env: { ...process.env, RENEWED_LINEAGE: live, RENEWED_DOMAINS: domain }, stdio: 'inherit' });
  process.exit(r.status ?? 1);
})().catch((e) => { console.error(e); process.exit(1); });
`,
    );
    // The service's settings file, as /etc/security-backend/env: the hook's default CLI reads it (--env-file).
    const envFile = join(work, 'env');
    writeFileSync(
      envFile,
      // The service's own secrets: the CLI on the service's database must hold the same ones (it refuses others).
      `DATABASE_URL=${db.appUrl}\nMIGRATIONS_DATABASE_URL=${db.ownerUrl}\nDATA_DIR=${join(work, 'cli-state')}\n` +
        `API_KEY_PEPPERS=${secrets.peppers}\nENCRYPTION_KEYS=${secrets.keys}\n`,
      {
        mode: 0o600,
      },
    );
    const run = spawnSync('sh', [join(ROOT, 'docker', 'certbot', 'first-issuance.sh')], {
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        PATH: process.env.PATH,
        SB_DOMAIN: 'localhost',
        SB_EMAIL: 'ops@example.com',
        SB_LE_DIR: le,
        SB_WEBROOT: webroot,
        SB_NGINX_START: nginx,
        SB_NGINX: nginx,
        SB_CERTBOT: `${process.execPath} ${fakeCertbot}`,
        // The default CLI of the hook: the checkout's built CLI, no rebuild, the service's env file.
        SB_DIR: ROOT,
        SB_ENV_FILE: envFile,
        SB_USER: 'no-such-user-here',
      },
    });
    try {
      const report = JSON.parse(readFileSync(join(work, 'certbot-report.json'), 'utf8')) as Record<string, string>;
      expect(report.placeholder).toContain('CN=localhost (placeholder)');
      expect(report.challenge).toMatch(/^200 tok\d+\.thumbprint$/);
      expect(run.stderr).toContain('nginx reloaded');
      expect(run.stderr).toContain('certificate inventory re-checked');
      expect(run.status).toBe(0);
      expect(existsSync(join(live, '.placeholder'))).toBe(false);
      const served = await new Promise<string>((resolve, reject) => {
        const s = connect(
          { host: '127.0.0.1', port: httpsPort, servername: 'localhost', rejectUnauthorized: false },
          () => {
            resolve(s.getPeerX509Certificate()!.issuer);
            s.destroy();
          },
        );
        s.on('error', reject);
      });
      expect(served).toBe('CN=Fake ACME CA');
      expect(await isListening(httpPort)).toBe(true);
    } finally {
      spawnSync(binary!, ['-p', dir, '-c', conf, '-s', 'quit']);
      if (run.status !== 0) process.stdout.write(`first-issuance output:\n${run.stdout}\n${run.stderr}\n`);
    }
  });
});
