import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { freePortForTests, waitFor } from '../support/ports';
import { cleanEnv, ROOT } from '../support/process';

/**
 * `npm run start:dev` (`nest start --watch api`, nest-cli.json): the service with its embedded PostgreSQL, rebuilt
 * and restarted when a source file changes, with the database stopped and started again cleanly (one postmaster,
 * no stale postmaster.pid), and everything stopped when the watcher is told to stop.
 * It builds into its own folder under dist/ (not dist/ itself, which other tests run from). Slow tier
 * (test/support/slow-tier.json): a build and three boots.
 */

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function postmasterPid(pgDir: string): number | undefined {
  const file = join(pgDir, 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
}

describe('npm run start:dev', () => {
  const work = mkdtempSync(join(tmpdir(), 'sb-start-dev-'));
  chmodSync(work, 0o711); // traversable: the cluster stays in DATA_DIR (checkout-location.e2e.ts covers the other case)
  const dataDir = join(work, 'data');
  const outDir = join(ROOT, 'dist', `.start-dev-test-${process.pid}`);
  const touched = join(ROOT, 'libs', 'core', 'src', 'system', 'clock.ts');
  let output = '';

  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  const listening = () => [...output.matchAll(/"msg":"listening"/g)].length;
  const pids = () => [...output.matchAll(/"pid":(\d+),[^\n]*"msg":"listening"/g)].map((m) => Number(m[1]));

  it('starts, restarts on a source change with one database, and stops everything', async () => {
    const tsconfig = join(work, 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({ extends: join(ROOT, 'tsconfig.build.json'), compilerOptions: { outDir } }),
    );
    const port = await freePortForTests();
    const script = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts['start:dev'] as string;
    expect(script).toMatch(/^nest start --watch api\b/);
    // nest resolves -p against the working directory.
    const args = [...script.replace(/^nest /, '').split(' '), '-p', relative(ROOT, tsconfig)];
    const nest = spawn(process.execPath, [join(ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'), ...args], {
      cwd: ROOT,
      env: cleanEnv({ PORT: String(port), DATA_DIR: dataDir }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    nest.stdout.on('data', (d) => (output += d));
    nest.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => nest.on('exit', (code) => resolve(code)));
    const ready = () =>
      fetch(`http://127.0.0.1:${port}/health/ready`)
        .then((r) => r.status === 200)
        .catch(() => false);

    try {
      const started = Date.now();
      await waitFor(async () => (listening() === 1 && (await ready()) ? true : undefined), 90_000, 200);
      const firstMs = Date.now() - started;
      const firstPg = postmasterPid(join(dataDir, 'pg'));
      expect(firstPg && alive(firstPg)).toBe(true);

      const now = new Date();
      utimesSync(touched, now, now);
      await waitFor(async () => (listening() === 2 && (await ready()) ? true : undefined), 90_000, 200);
      process.stdout.write(
        `start:dev: first ready ${firstMs} ms, ready again ${Date.now() - now.getTime()} ms after a change\n`,
      );
      const [oldApp, newApp] = pids();
      expect(newApp).not.toBe(oldApp);
      expect(alive(oldApp)).toBe(false);
      expect(output).toContain('"msg":"stopped"');
      const secondPg = postmasterPid(join(dataDir, 'pg'));
      expect(secondPg).not.toBe(firstPg);
      expect(alive(firstPg!)).toBe(false);
      expect(alive(secondPg!)).toBe(true);
      expect(output).toMatch(/"migrationsApplied":\[\][^\n]*"msg":"database ready"/);

      nest.kill('SIGTERM'); // as a process manager stops it (Ctrl+C signals the whole group)
      expect(await exited).toBe(0);
      await waitFor(async () => (!alive(secondPg!) && !alive(newApp) ? true : undefined), 15_000);
      expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    } catch (err) {
      process.stdout.write(`start:dev output:\n${output.slice(-6000)}\n`);
      throw err;
    } finally {
      if (nest.exitCode === null) nest.kill('SIGKILL');
      for (const pid of [...pids(), postmasterPid(join(dataDir, 'pg'))])
        if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 240_000);
});
