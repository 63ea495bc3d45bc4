import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortForTests, waitFor } from '../support/ports';
import { API_MAIN, assertBuilt, CLI_MAIN, cleanEnv, spawnNode, Spawned } from '../support/process';
import { requireOrSkip } from '../support/test-env';

/**
 * A checkout under a private parent (a clone in /root, mode 0700) started as root, as `npm start` runs it: the
 * embedded PostgreSQL runs as `postgres`, which cannot traverse that parent, so the cluster must live elsewhere,
 * privately (0700, owned by postgres), be named at start, be found again on restart and by the CLI beside it.
 * Slow tier (test/support/slow-tier.json): two boots with initdb; only root runs the server as another user.
 */
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const runs = requireOrSkip(isRoot, 'running as root (the embedded PostgreSQL then runs as postgres)');

(runs ? describe : describe.skip)('the service started as root from a checkout under a 0700 parent', () => {
  const home = mkdtempSync(join(tmpdir(), 'sb-private-home-')); // mkdtemp: mode 0700, owned by root
  const dataDir = join(home, 'clone', '.data');
  let port: number;
  let clusterDir: string | undefined;

  beforeAll(async () => {
    assertBuilt();
    port = await freePortForTests();
    mkdirSync(join(home, 'clone'));
    mkdirSync(join(home, 'tmp'), { mode: 0o700 });
  });
  afterAll(() => {
    const link = join(dataDir, 'pg');
    if (lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) clusterDir ??= readlinkSync(link); // failed early
    if (clusterDir?.startsWith('/var/lib/security-backend/pg-')) rmSync(clusterDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  async function start(): Promise<Spawned> {
    // root's private TMPDIR too: initdb (as postgres) must still read the password file it is handed.
    const proc = spawnNode(
      API_MAIN,
      [],
      cleanEnv({ PORT: String(port), DATA_DIR: dataDir, TMPDIR: join(home, 'tmp') }),
    );
    await waitFor(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`exited early: ${proc.output()}`);
        const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      },
      60_000,
      100,
    );
    return proc;
  }

  function logLine(proc: Spawned, msg: string): Record<string, unknown> {
    const line = proc
      .output()
      .split('\n')
      .find((l) => l.includes(`"msg":"${msg}"`));
    if (!line) throw new Error(`no "${msg}" line in:\n${proc.output()}`);
    return JSON.parse(line) as Record<string, unknown>;
  }

  function postmasters(dir: string): number {
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    return ps.split('\n').filter((l) => l.includes(`postgres -D ${dir} `)).length;
  }

  async function stop(proc: Spawned): Promise<void> {
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  }

  it('reaches ready with a private cluster outside DATA_DIR, and says where', async () => {
    expect(statSync(home).mode & 0o777).toBe(0o700);
    const proc = await start();
    const moved = logLine(proc, 'embedded PostgreSQL cluster kept outside DATA_DIR');
    clusterDir = String(moved.pgDir);
    expect(clusterDir).toMatch(/^\/var\/lib\/security-backend\/pg-[0-9a-f]{16}$/);
    expect(moved.reason).toBe(`the postgres user cannot traverse ${home} (mode 0700, owner uid 0)`);
    expect(readlinkSync(join(dataDir, 'pg'))).toBe(clusterDir);
    const st = lstatSync(clusterDir);
    expect(st.mode & 0o777).toBe(0o700);
    expect(st.uid).toBe(Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()));

    // The CLI beside the running service finds the same server (no second postmaster) and leaves it running.
    const cli = spawnNode(CLI_MAIN, ['audit:verify'], cleanEnv({ DATA_DIR: dataDir }));
    expect(await cli.closed).toBe(0);
    expect(postmasters(clusterDir)).toBe(1);
    await stop(proc);
    await waitFor(async () => (postmasters(clusterDir!) === 0 ? true : undefined), 10_000);
    expect(existsSync(join(clusterDir, 'postmaster.pid'))).toBe(false);
  });

  it('finds the same cluster, already migrated, on the next start', async () => {
    const proc = await start();
    expect(logLine(proc, 'database ready')).toMatchObject({ pgDir: clusterDir, migrationsApplied: [] });
    await stop(proc);
  });
});
