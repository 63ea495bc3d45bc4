import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runningServer } from './embedded-server';

describe('runningServer (is a server already running on this cluster directory?)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sb-pidfile-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const pidFile = (pid: number, port: number) =>
    writeFileSync(join(dir, 'postmaster.pid'), `${pid}\n${dir}\n1700000000\n${port}\n\n127.0.0.1\n`);

  it('answers the pid and port of a live postgres process', async () => {
    // A stand-in whose command line names postgres, as the real postmaster's does.
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'postgres'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      pidFile(child.pid!, 45678);
      expect(runningServer(dir)).toEqual({ pid: child.pid, port: 45678 });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('ignores a stale file whose pid another process holds now (a restarted container reuses pids)', () => {
    pidFile(process.pid, 45678);
    expect(runningServer(dir)).toBeUndefined();
  });

  it('ignores a stale file whose pid is gone, and a missing or garbled file', async () => {
    const child = spawn(process.execPath, ['-e', '0', 'postgres'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('exit', resolve));
    pidFile(child.pid!, 45678);
    expect(runningServer(dir)).toBeUndefined();
    writeFileSync(join(dir, 'postmaster.pid'), 'garbage\n');
    expect(runningServer(dir)).toBeUndefined();
    rmSync(join(dir, 'postmaster.pid'));
    expect(runningServer(dir)).toBeUndefined();
  });
});
