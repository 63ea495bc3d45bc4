// Shared helpers for the benchmark scripts: start the built service on a fresh data dir, wait, stop.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Pins a process to one core when taskset exists, so load generator and server do not share. */
export function pinned(cmd, args, core) {
  return process.platform === 'linux' && core !== undefined && hasTaskset()
    ? ['taskset', ['-c', String(core), cmd, ...args]]
    : [cmd, args];
}

let taskset;
function hasTaskset() {
  if (taskset === undefined) taskset = spawnSync('taskset', ['-V']).status === 0;
  return taskset;
}

/** Moves this process (the load generator) to one core, when taskset exists. */
export function pinSelf(core) {
  if (process.platform === 'linux' && hasTaskset())
    spawnSync('taskset', ['-pc', String(core), String(process.pid)], { stdio: 'ignore' });
}

/**
 * Starts the built service pinned to `core`, at the production log level (`info`: one access line per request) with
 * its stdout in a file, as a log collector would take it. `accessLines()` counts the access lines written since the
 * start (complete lines only, read incrementally). `opts.cpuProfDir`: run under `node --cpu-prof`, the profile written
 * there on exit.
 */
export async function startService(env = {}, core, opts = {}) {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'sb-bench-'));
  const logDir = mkdtempSync(join(tmpdir(), 'sb-bench-log-'));
  const logPath = join(logDir, 'service.log');
  const logFd = openSync(logPath, 'a');
  const port = await freePort();
  const nodeArgs = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const [cmd, args] = pinned(process.execPath, [...nodeArgs, join(ROOT, 'dist/apps/api/src/main.js')], core);
  const started = Date.now();
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: dataDir,
      PORT: String(port),
      DATABASE_URL: process.env.DATABASE_URL ?? '',
      ...env,
    },
    stdio: ['ignore', logFd, 'inherit'],
  });
  closeSync(logFd);
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error('service exited during start-up');
    const ok = await fetch(`${url}/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() - started > 60_000) throw new Error('service not ready after 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const access = lineCounter(logPath, '"msg":"request completed"');
  return {
    url,
    dataDir,
    superuserPassword: env.PG_SUPERUSER_PASSWORD,
    readyMs: Date.now() - started,
    accessLines: access,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      rmSync(logDir, { recursive: true, force: true });
      if (!opts.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Counts lines holding `needle` appended to `path` since the counter was made (complete lines only). */
function lineCounter(path, needle) {
  const fd = openSync(path, 'r');
  let offset = fstatSync(fd).size;
  let total = 0;
  const chunk = Buffer.alloc(1 << 20);
  const pattern = Buffer.from(needle);
  return () => {
    const size = fstatSync(fd).size;
    while (offset < size) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - offset), offset);
      const end = chunk.lastIndexOf(10, n - 1); // the last complete line in what was read
      if (end < 0) break;
      for (let i = chunk.indexOf(pattern, 0); i >= 0 && i < end; i = chunk.indexOf(pattern, i + pattern.length))
        total++;
      offset += end + 1;
    }
    return total;
  };
}

/**
 * A hello world on bare Fastify or NestJS-on-Fastify (bench/hello.mjs), pinned to `core`, same Node as the harness:
 * the framework floor the service's ratios are measured against.
 */
export async function startHello(kind, core) {
  const [cmd, args] = pinned(process.execPath, [join(ROOT, 'bench/hello.mjs'), kind, '0'], core);
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`hello ${kind} exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
    },
  };
}

/**
 * A connection to the service's database: its own embedded PostgreSQL as superuser (the password given to the
 * service, or the one it generated in DATA_DIR/secrets; the port from postmaster.pid), or DATABASE_URL when the run
 * uses one.
 */
export function adminClient(dataDir, superuserPassword) {
  if (process.env.DATABASE_URL) return new pg.Client({ connectionString: process.env.DATABASE_URL });
  const password = superuserPassword ?? readFileSync(join(dataDir, 'secrets', 'PG_SUPERUSER_PASSWORD'), 'utf8').trim();
  const port = Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[3]);
  return new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'security_backend' });
}

/**
 * Verifies a registered address as its owner does (the service refuses keys and sensitive data until then): the
 * token from the link in the verification mail, still in the outbox (delivery is off in the benchmarks), posted to
 * /v1/auth/email/verify.
 */
export async function verifyEmail(service, email) {
  const admin = adminClient(service.dataDir, service.superuserPassword);
  await admin.connect();
  let body;
  try {
    const { rows } = await admin.query(
      "SELECT body FROM outbox_messages WHERE recipient = $1 AND kind = 'auth.verify_email' ORDER BY created_at DESC LIMIT 1",
      [email],
    );
    body = rows[0]?.body;
  } finally {
    await admin.end();
  }
  const token = /#token=([A-Za-z0-9_-]{43})/.exec(body ?? '')?.[1];
  if (!token) throw new Error(`no verification mail to ${email}`);
  const res = await fetch(`${service.url}/v1/auth/email/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (res.status !== 200) throw new Error(`verify ${email}: ${res.status} ${await res.text()}`);
}

/** One counter from the service's Prometheus text (loopback may read /metrics). */
export async function metric(url, name, labels = '') {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line ? Number(line.split(' ').pop()) : 0;
}
