import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../config/load-config';
import { chooseClusterDir, firstBlockedDirectory, relocationTarget, searchable, ServerAccount } from './cluster-dir';

/** An account that owns nothing here and is in no group that does: only the "other" bits apply to it. */
const stranger: ServerAccount = { uid: 54321, gids: [54321] };
const account = () => stranger;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
/** Relocation creates a root-owned base directory: only root can (and only root needs to). */
const asRoot = isRoot ? it : it.skip;

describe('searchable (can the server account traverse a directory?)', () => {
  const owner: ServerAccount = { uid: 101, gids: [104, 7] };

  it('applies the owner bits to the owner, the group bits to a member, the other bits to anyone else', () => {
    expect(searchable({ uid: 101, gid: 0, mode: 0o700 }, owner)).toBe(true);
    expect(searchable({ uid: 101, gid: 0, mode: 0o077 }, owner)).toBe(false);
    expect(searchable({ uid: 0, gid: 7, mode: 0o710 }, owner)).toBe(true);
    expect(searchable({ uid: 0, gid: 7, mode: 0o701 }, owner)).toBe(false);
    expect(searchable({ uid: 0, gid: 0, mode: 0o711 }, owner)).toBe(true);
    expect(searchable({ uid: 0, gid: 0, mode: 0o770 }, owner)).toBe(false);
  });

  it('treats an account that does not exist yet as anyone else', () => {
    expect(searchable({ uid: 0, gid: 0, mode: 0o700 }, undefined)).toBe(false);
    expect(searchable({ uid: 0, gid: 0, mode: 0o701 }, undefined)).toBe(true);
  });
});

describe('chooseClusterDir', () => {
  let root: string;
  let base: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sb-cluster-dir-'));
    chmodSync(root, 0o711);
    base = join(root, 'var-lib');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A checkout under a private parent, as /root/<clone> is: <root>/home (0700) / clone / .data (0711). */
  function privateCheckout(): { home: string; dataDir: string } {
    const home = join(root, 'home');
    const dataDir = join(home, 'clone', '.data');
    mkdirSync(dataDir, { recursive: true, mode: 0o711 });
    chmodSync(home, 0o700);
    return { home, dataDir };
  }

  it('keeps DATA_DIR/pg when not running as root (the server then runs as this user)', () => {
    const { dataDir } = privateCheckout();
    expect(chooseClusterDir(dataDir, { asRoot: false, account, base })).toEqual({ dir: join(dataDir, 'pg') });
    expect(existsSync(base)).toBe(false);
  });

  it('keeps DATA_DIR/pg as root when the server account can traverse every parent', () => {
    const dataDir = join(root, 'open', '.data');
    mkdirSync(dataDir, { recursive: true, mode: 0o711 });
    chmodSync(join(root, 'open'), 0o711);
    expect(firstBlockedDirectory(dataDir, stranger)).toBeUndefined();
    expect(chooseClusterDir(dataDir, { asRoot: true, account, base })).toEqual({ dir: join(dataDir, 'pg') });
    expect(existsSync(base)).toBe(false);
  });

  asRoot('moves the cluster out of a DATA_DIR under a 0700 parent, links it, and finds it again on restart', () => {
    const { home, dataDir } = privateCheckout();
    mkdirSync(join(dataDir, 'pg')); // the empty directory a failed initdb leaves behind
    expect(firstBlockedDirectory(dataDir, stranger)).toBe(home);

    const first = chooseClusterDir(dataDir, { asRoot: true, account, base });
    const target = relocationTarget(dataDir, base);
    expect(first.dir).toBe(target);
    expect(target.startsWith(join(base, 'pg-'))).toBe(true);
    expect(first.relocated?.reason).toContain(`cannot traverse ${home} (mode 0700`);
    expect(readlinkSync(join(dataDir, 'pg'))).toBe(target);
    expect(lstatSync(base).mode & 0o777).toBe(0o711);
    expect(firstBlockedDirectory(target, stranger)).toBeUndefined();

    mkdirSync(target); // initdb's work, then a restart
    writeFileSync(join(target, 'PG_VERSION'), '18\n');
    const again = chooseClusterDir(dataDir, { asRoot: true, account, base });
    expect(again.dir).toBe(target);
    expect(again.setAside).toBeUndefined();
    expect(existsSync(join(target, 'PG_VERSION'))).toBe(true);
  });

  asRoot('sets aside (never deletes) a cluster left at the target by a DATA_DIR that was removed', () => {
    const { dataDir } = privateCheckout();
    const target = chooseClusterDir(dataDir, { asRoot: true, account, base }).dir;
    mkdirSync(target);
    writeFileSync(join(target, 'PG_VERSION'), '18\n');
    rmSync(join(dataDir, 'pg')); // rm -rf .data && mkdir .data: the link (and the secrets) are gone

    const now = () => new Date('2026-11-30T08:00:00.000Z');
    const choice = chooseClusterDir(dataDir, { asRoot: true, account, base, now });
    expect(choice.setAside).toBe(`${target}.set-aside-2026-11-30T08-00-00-000Z`);
    expect(existsSync(join(choice.setAside!, 'PG_VERSION'))).toBe(true);
    expect(existsSync(target)).toBe(false);

    // … unless a server still runs on it: then it is reused as it is.
    rmSync(join(dataDir, 'pg'));
    mkdirSync(target);
    writeFileSync(join(target, 'PG_VERSION'), '18\n');
    const running = chooseClusterDir(dataDir, { asRoot: true, account, base, isRunning: (d) => d === target });
    expect(running.setAside).toBeUndefined();
    expect(existsSync(join(target, 'PG_VERSION'))).toBe(true);
  });

  it('says what to do in one line when the relocation base cannot be created (a read-only /var/lib, say)', () => {
    const { home, dataDir } = privateCheckout();
    writeFileSync(join(root, 'file'), '');
    const blockedBase = join(root, 'file', 'base');
    expect(() => chooseClusterDir(dataDir, { asRoot: true, account, base: blockedBase })).toThrow(
      new RegExp(`${blockedBase} cannot be created for it \\(ENOTDIR\\).*chmod o\\+x ${home}$`),
    );
    expect(existsSync(join(dataDir, 'pg'))).toBe(false);
  });

  it('refuses, with what to do, a cluster already in an unreachable DATA_DIR/pg (it is not moved)', () => {
    const { home, dataDir } = privateCheckout();
    mkdirSync(join(dataDir, 'pg'));
    writeFileSync(join(dataDir, 'pg', 'PG_VERSION'), '18\n');
    let error: unknown;
    try {
      chooseClusterDir(dataDir, { asRoot: true, account, base });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const [line] = (error as ConfigError).problems;
    expect(line).toContain(`${home} is mode 0700`);
    expect(line).toContain(`chmod o+x ${home}`);
    expect(line).not.toContain('\n');
    expect(existsSync(join(dataDir, 'pg', 'PG_VERSION'))).toBe(true);
    expect(existsSync(base)).toBe(false);
  });
});
