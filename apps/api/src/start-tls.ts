import 'reflect-metadata';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ensureDevCertificates } from '@app/certificates';
import { loadConfig } from '@app/core';
import {
  adaptSiteToNginx,
  localSiteValues,
  nginxVersion,
  renderMainConfig,
  renderSite,
  siteTemplate,
} from './nginx-config';

/**
 * `npm run start:tls`: local HTTPS in one command. Makes the dev CA and localhost certificate if missing, renders the
 * shipped nginx site template into DATA_DIR/nginx, starts the API on 127.0.0.1 (trusting only nginx's address) and
 * nginx on 127.0.0.1:8443 (HTTPS) and :8080 (plain HTTP: redirects for browsers, 403 for the API), and stops both on
 * Ctrl-C. Ports: TLS_HTTPS_PORT, TLS_HTTP_PORT, and PORT for the API (default 3000).
 */
function port(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    fail(`${name} must be a port number (1–65535), got "${raw}"`);
  return value;
}

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

function findNginx(): string | undefined {
  for (const candidate of [
    process.env.NGINX_BIN,
    '/usr/sbin/nginx',
    '/usr/local/sbin/nginx',
    '/opt/homebrew/bin/nginx',
    'nginx',
  ]) {
    if (candidate && spawnSync(candidate, ['-v']).status === 0) return candidate;
  }
  return undefined;
}

async function waitReady(url: string, app: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (app.exitCode !== null) fail(`the API exited during start-up (code ${app.exitCode})`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  // Not ready in time: stop it (it would hold the port) before giving up.
  const exited = new Promise((r) => app.once('exit', r));
  app.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  fail(`the API did not become ready within ${timeoutMs / 1000} s`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** False when nginx exited or never listened (then it is stopped, and its exit handler stops the API and reports). */
async function waitListening(port: number, proxy: ChildProcess, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!(await accepts(port))) {
    if (proxy.exitCode !== null) return false;
    if (Date.now() > until) {
      process.stderr.write(`nginx did not listen on 127.0.0.1:${port} within ${timeoutMs / 1000} s\n`);
      proxy.kill('SIGQUIT');
      return false;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

async function main(): Promise<void> {
  const httpsPort = port('TLS_HTTPS_PORT', 8443);
  const httpPort = port('TLS_HTTP_PORT', 8080);
  const appPort = port('PORT', 3000);
  const env = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(appPort),
    TRUSTED_PROXIES: '127.0.0.1',
    PUBLIC_URL: process.env.PUBLIC_URL ?? process.env.PUBLIC_BASE_URL ?? `https://localhost:${httpsPort}`,
  };
  const config = loadConfig(env);
  const nginx = findNginx();
  if (!nginx)
    fail(
      'nginx is not installed: Debian/Ubuntu `sudo apt-get install nginx`, macOS `brew install nginx` (or set NGINX_BIN)',
    );

  const certs = await ensureDevCertificates(config.dataDir);
  const dir = join(config.dataDir, 'nginx');
  for (const d of ['logs', 'tmp']) mkdirSync(join(dir, d), { recursive: true });
  const site = adaptSiteToNginx(
    renderSite(
      siteTemplate(),
      localSiteValues({
        upstreams: [`127.0.0.1:${appPort}`],
        httpsPort,
        httpPort,
        certs: certs.paths,
        bodyLimitBytes: config.env.BODY_LIMIT_BYTES,
        dir,
      }),
    ),
    nginxVersion(nginx) ?? [1, 22, 0],
  );
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, renderMainConfig(dir, site));
  const check = spawnSync(nginx, ['-t', '-q', '-p', dir, '-c', conf], { encoding: 'utf8' });
  if (check.status !== 0) fail(`nginx rejected the generated ${conf}:\n${check.stderr}`);

  const app = spawn(process.execPath, ['--enable-source-maps', join(__dirname, 'main.js')], { env, stdio: 'inherit' });
  let stopping = false;
  const running: { proxy?: ChildProcess } = {};
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const exits = [app, running.proxy]
      .filter((c): c is ChildProcess => !!c && c.exitCode === null && c.signalCode === null)
      .map((c) => new Promise((r) => c.once('exit', r)));
    running.proxy?.kill('SIGQUIT'); // nginx: graceful shutdown
    if (app.exitCode === null) app.kill('SIGTERM'); // the API drains in-flight requests
    await Promise.all(exits);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  app.on('exit', (code) => void stop(code ?? 1));

  await waitReady(`http://127.0.0.1:${appPort}/health/ready`, app, 60_000);
  const proxy = spawn(nginx, ['-p', dir, '-c', conf], { stdio: 'inherit' });
  running.proxy = proxy;
  proxy.on('exit', (code) => {
    if (!stopping) process.stderr.write(`nginx exited (code ${code}); stopping the API\n`);
    void stop(code ?? 1);
  });
  // The URLs are announced once nginx accepts connections on both ports, not as soon as it was spawned.
  for (const port of [httpsPort, httpPort]) if (!(await waitListening(port, proxy, 10_000))) return;
  process.stdout.write(
    `\nhttps://localhost:${httpsPort} (Swagger UI at /docs) via nginx -> API on 127.0.0.1:${appPort}\n` +
      `http://localhost:${httpPort} redirects browsers and refuses the API (403 HTTPS_REQUIRED)\n` +
      `trust ${certs.paths.caCert} to avoid certificate warnings (curl --cacert …); Ctrl-C stops both\n\n`,
  );
}

void main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
