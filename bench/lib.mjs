// Shared helpers for the benchmark scripts: start the built service on a fresh data dir, wait, stop.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

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

export async function startService(env = {}, core, opts = {}) {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'sb-bench-'));
  const port = await freePort();
  const [cmd, args] = pinned(process.execPath, [join(ROOT, 'dist/apps/api/src/main.js')], core);
  const started = Date.now();
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: dataDir,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATABASE_URL: process.env.DATABASE_URL ?? '',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
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
  return {
    url,
    dataDir,
    readyMs: Date.now() - started,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
      if (!opts.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One counter from the service's Prometheus text (loopback may read /metrics). */
export async function metric(url, name, labels = '') {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line ? Number(line.split(' ').pop()) : 0;
}
