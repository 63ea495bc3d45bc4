import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { createConnection } from 'node:net';
import { connect } from 'node:tls';
import { ensureDevCertificates } from '@app/certificates';
import { startTestApp, TestApp } from '../support/app';
import { freshIp, jsonPost, registerAndLogin } from '../support/auth-helpers';
import { createTestDatabase, TestDatabase } from '../support/database';
import { createKey } from '../support/key-helpers';
import { freePortForTests, isListening, waitFor } from '../support/ports';
import { assertBuilt, cleanEnv, ROOT, spawnNode } from '../support/process';
import { nginxBinary, RunningTlsFront, startTlsFront } from '../support/nginx';
import { requireOrSkip } from '../support/test-env';

const MOZILLA_INTERMEDIATE_TLS12 = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  body: string;
}

/** The shipped nginx site config (rendered as start:tls renders it) in front of the real app, over real TLS. */
describe('TLS termination by nginx (Mozilla intermediate, HSTS, no plaintext API)', () => {
  const binary = nginxBinary();
  const opensslAvailable = spawnSync('openssl', ['version']).status === 0;
  const available = requireOrSkip(binary !== undefined && opensslAvailable, 'nginx and openssl');
  let t: TestApp;
  let front: RunningTlsFront;
  const observed: Record<string, string> = {};

  beforeAll(async () => {
    if (!available) return;
    t = await startTestApp();
    front = await startTlsFront(binary!, [`127.0.0.1:${new URL(t.url).port}`]);
  });
  afterAll(async () => {
    await front?.stop();
    await t?.stop();
    if (Object.keys(observed).length) process.stdout.write(`negotiated through nginx: ${JSON.stringify(observed)}\n`);
  });

  function https(
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: front.httpsPort,
          servername: 'localhost',
          path,
          method: init.method ?? 'GET',
          headers: { host: `localhost:${front.httpsPort}`, ...init.headers },
          ca: front.ca,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              rawHeaders: res.rawHeaders,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
  }

  function handshake(o: {
    minVersion?: 'TLSv1.2' | 'TLSv1.3';
    maxVersion?: 'TLSv1.2' | 'TLSv1.3';
    ciphers?: string;
  }): Promise<{ protocol: string | null; cipher: string; verified: boolean }> {
    return new Promise((resolve, reject) => {
      const s = connect(
        { host: '127.0.0.1', port: front.httpsPort, servername: 'localhost', ca: front.ca, ...o },
        () => {
          const r = { protocol: s.getProtocol(), cipher: s.getCipher().name, verified: s.authorized };
          s.destroy();
          resolve(r);
        },
      );
      s.on('error', reject);
    });
  }

  /** openssl s_client with every protocol and cipher the client library has (SECLEVEL=0), so only the server can refuse. */
  function sClient(args: string[]): string {
    const r = spawnSync(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${front.httpsPort}`, '-servername', 'localhost', ...args],
      { input: '', encoding: 'utf8', timeout: 10_000 },
    );
    return `${r.stdout}${r.stderr}`;
  }

  it('refuses TLS 1.0 and 1.1 (the server answers "protocol version")', () => {
    if (!available) return;
    for (const version of ['-tls1', '-tls1_1']) {
      const out = sClient([version, '-cipher', 'DEFAULT@SECLEVEL=0']);
      expect(out).toMatch(/alert protocol version|unsupported protocol|no protocols available/);
      expect(out).toMatch(/Cipher is \(NONE\)/);
    }
  });

  it('accepts TLS 1.3 and TLS 1.2; TLS 1.2 negotiates only ECDHE with AEAD ciphers', async () => {
    if (!available) return;
    const v13 = await handshake({});
    expect(v13).toMatchObject({ protocol: 'TLSv1.3', verified: true });
    const v12 = await handshake({ maxVersion: 'TLSv1.2' });
    expect(v12.protocol).toBe('TLSv1.2');
    expect(MOZILLA_INTERMEDIATE_TLS12).toContain(v12.cipher);
    observed['TLSv1.3'] = v13.cipher;
    observed['TLSv1.2'] = v12.cipher;
    for (const cipher of MOZILLA_INTERMEDIATE_TLS12.filter((c) => c.includes('ECDSA'))) {
      expect((await handshake({ maxVersion: 'TLSv1.2', ciphers: cipher })).cipher).toBe(cipher);
    }
    // CBC, non-forward-secret and static-key suites a default nginx would accept are refused.
    for (const cipher of [
      'ECDHE-ECDSA-AES128-SHA',
      'ECDHE-ECDSA-AES256-SHA384',
      'ECDHE-ECDSA-AES128-SHA256',
      'AES128-GCM-SHA256',
      'AES256-SHA',
      'DHE-RSA-AES128-GCM-SHA256',
    ]) {
      expect(sClient(['-tls1_2', '-cipher', `${cipher}@SECLEVEL=0`])).toMatch(/Cipher is \(NONE\)/);
    }
    const s12 = sClient(['-tls1_2']);
    expect(s12).toMatch(/Cipher is ECDHE-ECDSA-(AES128-GCM-SHA256|AES256-GCM-SHA384|CHACHA20-POLY1305)/);
  });

  it('sends HSTS (≥ 1 year, includeSubDomains) exactly once, on successes and errors alike', async () => {
    if (!available) return;
    for (const path of ['/health/live', '/v1/no-such-route', '/v1/me']) {
      const res = await https(path);
      // Node would join two such headers into one string: count them on the wire.
      expect(
        res.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === 'strict-transport-security'),
      ).toHaveLength(1);
      const hsts = res.headers['strict-transport-security'];
      expect(typeof hsts).toBe('string');
      const maxAge = Number(/max-age=(\d+)/.exec(hsts as string)?.[1]);
      expect(maxAge).toBeGreaterThanOrEqual(31_536_000);
      expect(hsts).toContain('includeSubDomains');
    }
  });

  it('port 80: browser paths get 308 to https, API paths 403 HTTPS_REQUIRED and are never proxied', async () => {
    if (!available) return;
    const docs = await fetch(`http://localhost:${front.httpPort}/docs`, { redirect: 'manual' });
    expect(docs.status).toBe(308);
    expect(docs.headers.get('location')).toBe(`https://localhost:${front.httpsPort}/docs`);
    expect((await fetch(`http://localhost:${front.httpPort}/`, { redirect: 'manual' })).status).toBe(308);
    const marker = `/v1/auth/login?probe=${Date.now()}`;
    for (const [method, path] of [
      ['POST', marker],
      ['GET', '/v1/me'],
      ['GET', '/health/ready'],
      ['GET', '/metrics'],
    ] as const) {
      const res = await fetch(`http://localhost:${front.httpPort}${path}`, {
        method,
        redirect: 'manual',
        headers: { authorization: 'Bearer sk_live_should_never_be_forwarded' },
      });
      expect(res.status).toBe(403);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({
        status: 403,
        code: 'HTTPS_REQUIRED',
        type: 'urn:problem:https-required',
      });
    }
    expect(t.logs.text).not.toContain('probe=');
    expect(t.logs.text).not.toContain('should_never_be_forwarded');
  });

  it('the app sees the real client address; a spoofed X-Forwarded-For changes nothing (allowlists, IP throttling)', async () => {
    if (!available) return;
    const owner = await registerAndLogin(t);
    const loopbackOnly = await createKey(t, owner.token, { ipAllowlist: ['127.0.0.1/32'] });
    const spoofTarget = await createKey(t, owner.token, { ipAllowlist: ['203.0.113.9/32'] });
    const auth = (key: string) => ({ authorization: `Bearer ${key}`, 'x-forwarded-for': '203.0.113.9' });
    expect((await https('/v1/me', { headers: auth(loopbackOnly.key) })).status).toBe(200);
    expect(JSON.parse((await https('/v1/me', { headers: auth(spoofTarget.key) })).body)).toMatchObject({
      status: 403,
      code: 'IP_NOT_ALLOWED',
    });
    // Control: straight to the app from a trusted proxy address, the same header is believed.
    expect((await t.request('/v1/me', { headers: auth(spoofTarget.key) })).status).toBe(200);

    // Per-IP login failure throttling counts the real address however the client rotates the header.
    let throttled = 0;
    for (let i = 0; i < 25; i++) {
      const res = await https('/v1/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': freshIp() },
        body: jsonPost({ email: `nobody${i}@example.com`, password: 'wrong password here' }).body as string,
      });
      if (res.status === 429) throttled++;
    }
    expect(throttled).toBeGreaterThan(0);
  });

  it('nginx assigns the request id: the app logs it and answers it; a client-chosen id is replaced', async () => {
    if (!available) return;
    const res = await https('/v1/no-such-route', { headers: { 'x-request-id': 'client-chosen-id' } });
    const id = res.headers['x-request-id'] as string;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.parse(res.body)).toMatchObject({ requestId: id });
    expect(t.logs.text).toContain(id);
    // nginx writes its access line after the answer has left: wait for it rather than race it.
    await waitFor(async () => (front.accessLog().includes(`"requestId":"${id}"`) ? true : undefined), 5000, 50).catch(
      () => {},
    );
    expect(front.accessLog()).toContain(`"requestId":"${id}"`);
    expect(t.logs.text).not.toContain('client-chosen-id');
  });

  it('serves Swagger UI over HTTPS (HTTP/2 offered, CSP intact)', async () => {
    if (!available) return;
    const page = await https('/docs');
    expect(page.status).toBe(200);
    expect(page.body).toContain('swagger-ui');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const alpn = await new Promise<string | false | null>((resolve, reject) => {
      const s = connect(
        {
          host: '127.0.0.1',
          port: front.httpsPort,
          servername: 'localhost',
          ca: front.ca,
          ALPNProtocols: ['h2', 'http/1.1'],
        },
        () => {
          resolve(s.alpnProtocol);
          s.destroy();
        },
      );
      s.on('error', reject);
    });
    expect(alpn).toBe('h2');
  });

  it('the certbot deploy hook tests the config, reloads nginx onto the renewed certificate and re-checks the inventory', async () => {
    if (!available) return;
    const served = () =>
      new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: front.httpsPort, servername: 'localhost', ca: front.ca }, () => {
          resolve(s.getPeerX509Certificate()!.fingerprint256);
          s.destroy();
        });
        s.on('error', reject);
      });
    const before = await served();
    rmSync(join(front.dir, 'data', 'tls', 'localhost.pem'));
    const renewed = await ensureDevCertificates(join(front.dir, 'data')); // certbot would have written the new files
    expect(renewed.createdLeaf).toBe(true);
    const hook = spawnSync('sh', [join(ROOT, 'docker', 'certbot', 'deploy-hook.sh')], {
      encoding: 'utf8',
      timeout: 60_000,
      env: cleanEnv({
        RENEWED_LINEAGE: '/etc/letsencrypt/live/localhost',
        RENEWED_DOMAINS: 'localhost',
        SB_NGINX: `${nginxBinary()} -p ${front.dir} -c ${join(front.dir, 'nginx.conf')}`,
        SB_CLI: `${process.execPath} ${join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js')}`,
        DATABASE_URL: t.db.appUrl,
        MIGRATIONS_DATABASE_URL: t.db.ownerUrl,
        DATA_DIR: t.dataDir,
      }),
    });
    expect(hook.stderr).toContain('nginx reloaded');
    expect(hook.stderr).toContain('certificate inventory re-checked');
    expect(hook.status).toBe(0);
    await waitFor(async () => ((await served()) === renewed.leafFingerprint ? true : undefined), 5000, 100);
    expect(renewed.leafFingerprint).not.toBe(before);
  });

  it('refuses bodies over the app’s limit at nginx (413)', async () => {
    if (!available) return;
    const res = await https('/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(150_000) }),
    });
    expect(res.status).toBe(413);
    // nginx's own error, in the API's problem+json shape with the security headers (not nginx's HTML page).
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(res.body)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
    expect(res.body).not.toMatch(/<html|nginx/i);
  });

  it('refuses names it does not serve: another SNI (or none) fails at the handshake, another Host on port 80 gets no answer', async () => {
    if (!available) return;
    const handshakeWith = (servername: string | undefined) =>
      new Promise<string>((resolve) => {
        const s = connect({
          host: '127.0.0.1',
          port: front.httpsPort,
          ca: front.ca,
          ...(servername ? { servername } : {}),
        });
        s.on('secureConnect', () => {
          s.destroy();
          resolve('served');
        });
        s.on('error', (err: Error & { code?: string }) => resolve(err.code ?? err.message));
      });
    expect(await handshakeWith('localhost')).toBe('served');
    for (const name of ['evil.example', undefined]) {
      const outcome = await handshakeWith(name);
      expect(outcome).not.toBe('served');
      expect(outcome).toMatch(/UNRECOGNIZED_NAME|ALERT|ECONNRESET|EPROTO/);
    }
    // A TLS connection made for localhost that then names another host: 421, never forwarded.
    const misdirected = await https('/v1/me', { headers: { host: 'evil.example' } });
    expect(misdirected.status).toBe(421);
    expect(JSON.parse(misdirected.body)).toMatchObject({ code: 'MISDIRECTED_REQUEST' });
    // Port 80 with a Host other than the configured name: closed without an answer (444), so no redirect to it.
    for (const host of ['127.0.0.1', 'evil.example']) {
      const answer = await new Promise<string>((resolve) => {
        const s = createConnection({ host: '127.0.0.1', port: front.httpPort }, () =>
          s.write(`GET /docs HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
        );
        let data = '';
        s.on('data', (d: Buffer) => (data += d.toString()));
        s.on('close', () => resolve(data));
        s.on('error', () => resolve(data));
      });
      expect(answer).toBe('');
    }
  });
});

describe('npm run start:tls (one command for local HTTPS)', () => {
  const binary = nginxBinary();
  const available = requireOrSkip(binary !== undefined, 'nginx');
  let db: TestDatabase;

  beforeAll(async () => {
    if (available) db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  it('makes the dev certificates, starts the API and nginx, serves HTTPS, and stops both on Ctrl-C', async () => {
    if (!available) return;
    assertBuilt();
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-start-tls-'));
    chmodSync(dataDir, 0o700);
    const [httpsPort, httpPort, appPort] = [
      await freePortForTests(),
      await freePortForTests(),
      await freePortForTests(),
    ];
    const proc = spawnNode(
      join(ROOT, 'dist', 'apps', 'api', 'src', 'start-tls.js'),
      [],
      cleanEnv({
        DATA_DIR: dataDir,
        DATABASE_URL: db.appUrl,
        MIGRATIONS_DATABASE_URL: db.ownerUrl,
        TLS_HTTPS_PORT: String(httpsPort),
        TLS_HTTP_PORT: String(httpPort),
        PORT: String(appPort),
        NGINX_BIN: binary!,
        LOG_LEVEL: 'warn',
      }),
    );
    try {
      await waitFor(async () => (proc.output().includes('Ctrl-C stops both') ? true : undefined), 60_000, 100);
      const ca = readFileSync(join(dataDir, 'tls', 'dev-ca.pem'));
      const health = await new Promise<{ status: number; hsts: unknown }>((resolve, reject) => {
        httpsRequest(
          {
            host: '127.0.0.1',
            port: httpsPort,
            servername: 'localhost',
            headers: { host: `localhost:${httpsPort}` },
            path: '/health/ready',
            ca,
            agent: false,
          },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, hsts: res.headers['strict-transport-security'] });
          },
        )
          .on('error', reject)
          .end();
      });
      expect(health).toEqual({ status: 200, hsts: 'max-age=63072000; includeSubDomains' });
      expect((await fetch(`http://localhost:${httpPort}/v1/me`)).status).toBe(403);
      expect(readFileSync(join(dataDir, 'nginx', 'nginx.conf'), 'utf8')).toContain('ssl_protocols TLSv1.2 TLSv1.3;');
    } finally {
      proc.child.kill('SIGINT');
    }
    expect(await proc.exited).toBe(0);
    expect(await isListening(httpsPort)).toBe(false);
    expect(await isListening(appPort)).toBe(false);
  });
});
