import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { appServiceNames, ComposeService, containerEnv, loadCompose } from '../support/compose';
import { createTestDatabase, TEST_APP, TEST_OWNER, TestDatabase } from '../support/database';
import { freePortForTests, isListening, waitFor } from '../support/ports';
import { API_MAIN, assertBuilt, ROOT, spawnNode, Spawned } from '../support/process';
import { nginxBinary, RunningTlsFront, startTlsFront } from '../support/nginx';
import { requireOrSkip } from '../support/test-env';

/**
 * docker/compose.yaml's app services started the way compose starts them, without a Docker engine: the image's ENV
 * plus the service's `environment:` (interpolated as compose does, SB_DOMAIN unset), nothing else, in production
 * mode. Only what the container network provides is mapped: the service names `postgres` and `redis` become the
 * test PostgreSQL and a Redis of this test's own (with the password from compose's secret, protected mode on), the
 * compose database and role names become the test database's, the container's port and /tmp become free ones here,
 * and each `/run/secrets/<target>` becomes a file with the mode compose declares. A variable production requires
 * and compose lacks makes the service exit, and this test with it.
 */
describe('docker/compose.yaml app services boot in production with exactly their environment', () => {
  const compose = loadCompose();
  const names = appServiceNames(compose);
  const redisAvailable = spawnSync('redis-server', ['--version']).status === 0;
  const opensslAvailable = spawnSync('openssl', ['version']).status === 0;
  const work = mkdtempSync(join(tmpdir(), 'sb-compose-'));
  const secretValues: Record<string, string> = {};
  let db: TestDatabase;
  let redis: ChildProcess | undefined;
  let redisPort: number;
  const running: { name: string; proc: Spawned; port: number }[] = [];

  beforeAll(async () => {
    assertBuilt();
    if (!requireOrSkip(redisAvailable && opensslAvailable, 'redis-server and openssl')) return;
    db = await createTestDatabase();
    // The secret files an operator creates (docs/deployment.md), with values for this machine.
    const tls = join(work, 'tls');
    const made = spawnSync('sh', [join(ROOT, 'docker', 'make-internal-tls.sh'), tls], { encoding: 'utf8' });
    expect(made.status).toBe(0);
    Object.assign(secretValues, {
      db_app_password: TEST_APP.password,
      db_owner_password: TEST_OWNER.password,
      redis_password: randomBytes(24).toString('base64url'),
      smtp_url: `smtp://127.0.0.1:${await freePortForTests()}`,
      api_key_peppers: `1:${randomBytes(32).toString('base64')}`,
      encryption_keys: `v1:${randomBytes(32).toString('base64')}`,
      metrics_token: randomBytes(24).toString('base64url'),
      app_tls_cert: readFileSync(join(tls, 'app_tls_cert'), 'utf8'),
      app_tls_key: readFileSync(join(tls, 'app_tls_key'), 'utf8'),
    });
    redisPort = await freePortForTests();
    redis = spawn(
      'redis-server',
      [
        '--port',
        String(redisPort),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'yes',
      ],
      { stdio: ['pipe', 'ignore', 'ignore'] },
    );
    // requirepass through CONFIG SET once it is up, so the password is not on a command line here either.
    await waitFor(async () => ((await isListening(redisPort)) ? true : undefined), 5000, 50);
    const admin = new Redis({ port: redisPort, lazyConnect: true });
    await admin.connect();
    await admin.config('SET', 'requirepass', secretValues.redis_password);
    admin.disconnect();
  });

  afterAll(async () => {
    for (const r of running) if (r.proc.child.exitCode === null) r.proc.child.kill('SIGKILL');
    redis?.kill('SIGTERM');
    await db?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  /** A container's environment, mapped onto this machine as the describe block says. */
  function hostEnv(name: string, service: ComposeService, port: number): Record<string, string> {
    const env = containerEnv(service);
    const secretsDir = join(work, name, 'run', 'secrets');
    mkdirSync(secretsDir, { recursive: true });
    for (const s of service.secrets ?? []) {
      const value = secretValues[s.source];
      if (value === undefined) throw new Error(`the test has no value for compose secret ${s.source}`);
      const path = join(secretsDir, s.target);
      writeFileSync(path, value.endsWith('\n') ? value : `${value}\n`);
      chmodSync(path, Number(s.mode) === 400 ? 0o400 : Number(s.mode));
    }
    const pg = new URL(db.appUrl);
    const mapped: Record<string, string> = {};
    for (const [key, value] of Object.entries(env)) {
      mapped[key] = value
        .replaceAll('/run/secrets/', `${secretsDir}/`)
        .replace(
          /^postgres:\/\/sb_app@postgres:5432\/security_backend$/,
          `postgres://${TEST_APP.name}@${pg.host}/${db.name}`,
        )
        .replace(
          /^postgres:\/\/sb_owner@postgres:5432\/security_backend$/,
          `postgres://${TEST_OWNER.name}@${pg.host}/${db.name}`,
        )
        .replace(/^redis:\/\/redis:6379\//, `redis://127.0.0.1:${redisPort}/`);
    }
    mapped.PORT = String(port);
    mapped.HOST = '127.0.0.1';
    mapped.DATA_DIR = join(work, name, 'tmp', 'security-backend');
    return mapped;
  }

  function readyOverTls(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/health/ready',
          // What nginx checks: the private CA (internal_ca) and the name security-backend-app.
          ca: readFileSync(join(work, 'tls', 'internal_ca')),
          servername: 'security-backend-app',
          agent: false,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('every app service starts over TLS, nginx reaches it only by verifying its certificate, and it drains on SIGTERM', async () => {
    if (!redisAvailable || !opensslAvailable) return;
    expect(names.length).toBeGreaterThanOrEqual(2);
    const started = Date.now();
    for (const name of names) {
      const port = await freePortForTests();
      const env = hostEnv(name, compose.services[name], port);
      expect(env.NODE_ENV).toBe('production');
      // Exactly that environment: not even PATH or HOME from this process.
      running.push({ name, port, proc: spawnNode(API_MAIN, [], env, mkdtempSync(join(work, 'cwd-'))) });
    }
    for (const { name, proc, port } of running) {
      await waitFor(
        async () => {
          if (proc.child.exitCode !== null)
            throw new Error(`${name} exited (${proc.child.exitCode}):\n${proc.output()}`);
          return (await readyOverTls(port).catch(() => 0)) === 200 ? true : undefined;
        },
        60_000,
        100,
      );
    }
    process.stdout.write(`compose app services ${names.join(', ')} ready in ${Date.now() - started} ms\n`);
    for (const { proc } of running) {
      const listening = proc
        .output()
        .split('\n')
        .find((l) => l.includes('"msg":"listening"'));
      expect(JSON.parse(listening!)).toMatchObject({ tls: true, node: process.version });
      expect(proc.output()).not.toContain('"level":50');
      for (const secret of Object.values(secretValues)) expect(proc.output()).not.toContain(secret.trim());
    }
    // Both instances hold a connection to Redis, authenticated with the password from the secret file.
    const client = new Redis({ port: redisPort, password: secretValues.redis_password, lazyConnect: true });
    await client.connect();
    const clients = String(await client.client('LIST'));
    client.disconnect();
    expect(clients.split('\n').filter((l) => l.includes('name=security-backend')).length).toBeGreaterThanOrEqual(
      names.length,
    );
    // Plain HTTP is not served on the TLS listener.
    const plain = await fetch(`http://127.0.0.1:${running[0].port}/health/live`).catch(() => undefined);
    expect(plain?.status ?? 0).not.toBe(200);

    // The real nginx in front, as compose's nginx: upstream over TLS, the app's certificate verified against the
    // private CA for the name security-backend-app. A front that trusts another CA gets no answer from the apps.
    const binary = nginxBinary();
    if (requireOrSkip(binary !== undefined, 'nginx')) {
      const upstreams = running.map((r) => `127.0.0.1:${r.port}`);
      const ca = join(work, 'tls', 'internal_ca');
      const front = await startTlsFront(binary!, upstreams, 102400, { ca, name: 'security-backend-app' });
      const other = join(work, 'other-ca');
      expect(spawnSync('sh', [join(ROOT, 'docker', 'make-internal-tls.sh'), other]).status).toBe(0);
      const wrongCa = await startTlsFront(binary!, upstreams, 102400, {
        ca: join(other, 'internal_ca'),
        name: 'security-backend-app',
      });
      try {
        const via = (f: RunningTlsFront) =>
          new Promise<{ status: number; body: string }>((resolve, reject) => {
            const req = httpsRequest(
              {
                host: '127.0.0.1',
                port: f.httpsPort,
                servername: 'localhost',
                headers: { host: `localhost:${f.httpsPort}` },
                path: '/health/ready',
                ca: f.ca,
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
        expect((await via(front)).status).toBe(200);
        // nginx writes its access line after the answer has left: wait for it rather than race it.
        const upstreamLine = /"upstream":"127\.0\.0\.1:\d+","upstreamStatus":"200"/;
        await waitFor(async () => (upstreamLine.test(front.accessLog()) ? true : undefined), 5000, 50).catch(() => {});
        expect(front.accessLog()).toMatch(upstreamLine);
        const refused = await via(wrongCa);
        expect(refused.status).toBe(502);
        expect(JSON.parse(refused.body)).toMatchObject({ status: 502, code: 'SERVICE_UNAVAILABLE' });
        const errorLog = () => readFileSync(join(wrongCa.dir, 'logs', 'error.log'), 'utf8');
        await waitFor(
          async () => (errorLog().includes('upstream SSL certificate verify error') ? true : undefined),
          5000,
          50,
        ).catch(() => {});
        expect(errorLog()).toContain('upstream SSL certificate verify error');
      } finally {
        await front.stop();
        await wrongCa.stop();
      }
    }
    for (const { proc } of running) proc.child.kill('SIGTERM');
    for (const { proc } of running) expect(await proc.exited).toBe(0);
  });

  it('a production-required setting missing from the environment stops the service with one line', async () => {
    if (!redisAvailable || !opensslAvailable) return;
    const port = await freePortForTests();
    const env = hostEnv('without-smtp', compose.services[names[0]], port);
    delete env.SMTP_URL_FILE;
    const proc = spawnNode(API_MAIN, [], env, work);
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain('SMTP_URL (or SMTP_URL_FILE) is required in production');
  });
});
