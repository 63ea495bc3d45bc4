import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortForTests, waitFor } from '../support/ports';
import { API_MAIN, assertBuilt, cleanEnv, spawnNode, Spawned } from '../support/process';

/** The built service as a user runs it (`npm start` = build + this), in a fresh DATA_DIR with no configuration. */
describe('the service process (embedded PostgreSQL, no configuration)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-proc-'));
  let port: number;

  beforeAll(async () => {
    assertBuilt();
    port = await freePortForTests();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function startAndWait(): Promise<{ proc: Spawned; ms: number }> {
    const started = Date.now();
    const proc = spawnNode(API_MAIN, [], cleanEnv({ PORT: String(port), DATA_DIR: dataDir }));
    await waitFor(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`exited early: ${proc.output()}`);
        const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      },
      60_000,
      100,
    );
    return { proc, ms: Date.now() - started };
  }

  async function stopGracefully(proc: Spawned): Promise<number | null> {
    proc.child.kill('SIGTERM');
    const code = await proc.exited;
    // A failed drain is rare and load-dependent (seen once in CI): keep the service's last lines to say why.
    if (code !== 0) {
      const tail = proc
        .output()
        .split('\n')
        .filter((line) => !line.includes('"request completed"'))
        .slice(-25);
      process.stdout.write(`service exited ${code} on SIGTERM; its last log lines:\n${tail.join('\n')}\n`);
    }
    return code;
  }

  it('starts with no configuration, generates private secrets, and stops its database on SIGTERM', async () => {
    const { proc, ms } = await startAndWait();
    process.stdout.write(`first start (initdb + migrations) to ready: ${ms} ms\n`);
    expect(statSync(join(dataDir, 'secrets')).mode & 0o777).toBe(0o700);
    for (const name of ['PG_SUPERUSER_PASSWORD', 'DB_OWNER_PASSWORD', 'DB_APP_PASSWORD']) {
      expect(statSync(join(dataDir, 'secrets', name)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(dataDir).mode & 0o077).toBe(0o011);
    const secret = readFileSync(join(dataDir, 'secrets', 'DB_APP_PASSWORD'), 'utf8').trim();
    const pidFile = join(dataDir, 'pg', 'postmaster.pid');
    expect(existsSync(pidFile)).toBe(true);
    const pgPid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);

    const beforeStop = proc.output().length;
    expect(await stopGracefully(proc)).toBe(0);
    expect(proc.output()).toContain('"msg":"stopped"');
    expect(proc.output()).not.toContain(secret);
    // A normal shutdown is silent: the app closes before its database stops, so nothing loses a connection.
    const shutdownLines = proc.output().slice(beforeStop).split('\n');
    expect(shutdownLines.filter((l) => /"level":(40|50|60)/.test(l))).toEqual([]);
    await waitFor(async () => {
      try {
        process.kill(pgPid, 0);
        return undefined;
      } catch {
        return true;
      }
    }, 10_000);
  });

  it('a second start reuses the data and secrets and applies no migration', async () => {
    const before = readFileSync(join(dataDir, 'secrets', 'DB_APP_PASSWORD'), 'utf8');
    const { proc, ms } = await startAndWait();
    process.stdout.write(`second start to ready: ${ms} ms\n`);
    expect(readFileSync(join(dataDir, 'secrets', 'DB_APP_PASSWORD'), 'utf8')).toBe(before);
    expect(proc.output()).toContain('"migrationsApplied":[]');
    expect(proc.output()).toContain('"DB_APP_PASSWORD":"stored"');
    expect(await stopGracefully(proc)).toBe(0);
  });
});

describe('the service process refuses bad set-ups with one clear message', () => {
  beforeAll(() => assertBuilt());

  it('bad environment: exit 1 naming each bad variable', async () => {
    const proc = spawnNode(
      API_MAIN,
      [],
      cleanEnv({ PORT: 'eighty', NODE_ENV: 'staging', DATA_DIR: mkdtempSync(join(tmpdir(), 'sb-bad-')) }),
    );
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/failed to start: Invalid configuration/);
    expect(proc.output()).toMatch(/PORT/);
    expect(proc.output()).toMatch(/NODE_ENV/);
    expect(proc.output()).not.toMatch(/\n\s+at /);
  });

  it('secret file readable by others: exit 1 naming the file and its mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-secret-'));
    const file = join(dir, 'pg_password');
    writeFileSync(file, 'a-password-that-is-long-enough\n', { mode: 0o644 });
    const proc = spawnNode(API_MAIN, [], cleanEnv({ DATA_DIR: dir, PG_SUPERUSER_PASSWORD_FILE: file }));
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain(file);
    expect(proc.output()).toContain('0644');
    expect(proc.output()).not.toContain('a-password-that-is-long-enough');
  });

  it('production: a missing secret is a start-up error, not a generated one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-prod-'));
    const proc = spawnNode(API_MAIN, [], cleanEnv({ NODE_ENV: 'production', DATA_DIR: dir }));
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/Missing secrets in production: PG_SUPERUSER_PASSWORD/);
    expect(existsSync(join(dir, 'secrets'))).toBe(false);
  });

  it('production: a data directory readable by others is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-prod-'));
    const { chmodSync } = await import('node:fs');
    chmodSync(dir, 0o755);
    const proc = spawnNode(
      API_MAIN,
      [],
      cleanEnv({ NODE_ENV: 'production', DATA_DIR: dir, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/test' }),
    );
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/Refusing to start: .* is accessible by group or others \(mode 0755\)/);
  });
});
