import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupId, prepareSocketPath, restrictSocket } from './listener';
import { StartupError } from './startup-error';

describe('Unix socket listener helpers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-listener-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('groupId: numbers as they are, names from the group file, an unknown name refused', () => {
    const file = join(dir, 'group');
    writeFileSync(file, 'root:x:0:\nwww-data:x:33:\nsecurity-backend-web:x:997:www-data\n');
    expect(groupId('42', file)).toBe(42);
    expect(groupId('security-backend-web', file)).toBe(997);
    expect(() => groupId('security-backend', file)).toThrow(StartupError);
  });

  it('prepareSocketPath removes a stale socket, refuses a live one or any other file, ignores a missing path', async () => {
    const path = join(dir, 'stale.sock');
    writeFileSync(join(dir, 'plain'), 'x');
    await expect(prepareSocketPath(join(dir, 'plain'))).rejects.toThrow(/exists and is not a socket/);
    await expect(prepareSocketPath(join(dir, 'missing.sock'))).resolves.toBeUndefined();
    // A socket another process serves: refused, left in place.
    const live = createServer();
    await new Promise<void>((r) => live.listen(path, r));
    await expect(prepareSocketPath(path)).rejects.toThrow(/in use by another process/);
    expect(statSync(path).isSocket()).toBe(true);
    await new Promise<void>((r) => live.close(() => r()));
    // A process killed while listening leaves its socket file, and nothing accepts on it: removed.
    const crashed = spawnSync(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    expect(crashed.signal).toBe('SIGKILL');
    expect(statSync(path).isSocket()).toBe(true);
    await prepareSocketPath(path);
    expect(() => statSync(path)).toThrow();
  });

  it('restrictSocket sets the mode (and the group when given)', async () => {
    const path = join(dir, 'mode.sock');
    const server = createServer();
    await new Promise<void>((r) => server.listen(path, r));
    restrictSocket(path, '0660', String(process.getgid!()));
    expect(statSync(path).mode & 0o777).toBe(0o660);
    expect(statSync(path).gid).toBe(process.getgid!());
    await new Promise<void>((r) => server.close(() => r()));
  });
});
