import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonPost, STRONG_PASSWORD, verifyEmailThrough } from '../support/auth-helpers';
import { adminQuery, createTestDatabase, TestDatabase } from '../support/database';
import { freePortForTests, waitFor } from '../support/ports';
import { API_MAIN, assertBuilt, cleanEnv, spawnNode, Spawned } from '../support/process';

/** Faults outside the request path: an unusable data directory, and a process killed in the middle of work. */
describe('faults', () => {
  beforeAll(() => assertBuilt());

  it('a data directory that cannot be written: exit 1 with one clear line, no stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-fault-'));
    writeFileSync(join(dir, 'file'), 'in the way');
    const proc = spawnNode(API_MAIN, [], cleanEnv({ DATA_DIR: join(dir, 'file', 'data') }));
    expect(await proc.exited).toBe(1);
    const lines = proc.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^security-backend: failed to start: cannot write .*file\/data.*: a file is in the way \(ENOTDIR\)\. DATA_DIR must be a writable directory/,
    );
  });

  describe('SIGKILL during key rotations (real process, real PostgreSQL)', () => {
    let db: TestDatabase;

    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(() => db?.drop());

    async function start(port: number, dataDir: string): Promise<Spawned> {
      const proc = spawnNode(
        API_MAIN,
        [],
        cleanEnv({
          NODE_ENV: 'test',
          PORT: String(port),
          DATA_DIR: dataDir,
          DATABASE_URL: db.appUrl,
          MIGRATIONS_DATABASE_URL: db.ownerUrl,
          API_KEY_PEPPERS: '1:a-pepper-shared-by-both-starts-0123456789',
          ARGON2_MEMORY_KIB: '1024',
          ARGON2_TIME_COST: '1',
          LOG_LEVEL: 'warn',
        }),
      );
      await waitFor(
        async () => {
          if (proc.child.exitCode !== null) throw new Error(`exited: ${proc.output()}`);
          return (await fetch(`http://127.0.0.1:${port}/health/ready`).then(
            (r) => r.status,
            () => 0,
          )) === 200
            ? true
            : undefined;
        },
        60_000,
        100,
      );
      return proc;
    }

    it('leaves every rotation whole: one live key per chain, each old key revoked with one successor; the service goes on', async () => {
      const port = await freePortForTests();
      const dataDir = mkdtempSync(join(tmpdir(), 'sb-kill-'));
      let proc = await start(port, dataDir);
      const url = `http://127.0.0.1:${port}`;
      await fetch(
        `${url}/v1/auth/register`,
        jsonPost({ email: 'kill@example.com', username: 'kill_test', password: STRONG_PASSWORD }),
      );
      await verifyEmailThrough(db, 'kill@example.com', (path, init) => fetch(`${url}${path}`, init));
      const { token } = (await (
        await fetch(`${url}/v1/auth/login`, jsonPost({ email: 'kill@example.com', password: STRONG_PASSWORD }))
      ).json()) as { token: string };
      const auth = { authorization: `Bearer ${token}` };
      const chains = await Promise.all(
        Array.from(
          { length: 4 },
          async (_, i) =>
            (
              (await (
                await fetch(`${url}/v1/api-keys`, jsonPost({ name: `chain ${i}`, scopes: ['profiles:read'] }, auth))
              ).json()) as { id: string }
            ).id,
        ),
      );
      // Each chain rotates its newest key again and again (grace 0: the old key is revoked in the same transaction).
      let rotations = 0;
      const rotateForever = async (first: string) => {
        let id = first;
        for (;;) {
          const res = await fetch(`${url}/v1/api-keys/${id}/rotate`, jsonPost({ gracePeriodHours: 0 }, auth)).catch(
            () => undefined,
          );
          if (!res || res.status !== 201) return;
          id = ((await res.json()) as { id: string }).id;
          rotations++;
        }
      };
      const loops = chains.map(rotateForever);
      await waitFor(async () => (rotations >= 40 ? true : undefined), 30_000, 5);
      proc.child.kill('SIGKILL');
      await proc.exited;
      await Promise.all(loops);

      const keys = await adminQuery<{
        id: string;
        status: string;
        rotated_from: string | null;
        rotated_to: string | null;
        name: string;
      }>(db, 'SELECT id, status, rotated_from, rotated_to, name FROM api_keys');
      for (let i = 0; i < chains.length; i++) {
        const chain = keys.filter((k) => k.name === `chain ${i}`);
        expect(chain.filter((k) => k.status === 'active')).toHaveLength(1);
        for (const old of chain.filter((k) => k.status !== 'active')) {
          expect(old.status).toBe('revoked');
          expect(chain.filter((k) => k.rotated_from === old.id)).toHaveLength(1);
          expect(chain.some((k) => k.id === old.rotated_to)).toBe(true);
        }
      }
      const audits = await adminQuery<{ n: string }>(
        db,
        `SELECT count(*) AS n FROM audit_events WHERE action = 'api_key.rotate'`,
      );
      expect(Number(audits[0].n)).toBe(keys.length - chains.length); // every committed rotation audited, no more, no less
      process.stdout.write(
        `SIGKILL after ${rotations} acknowledged rotations; ${keys.length - chains.length} committed\n`,
      );

      proc = await start(port, dataDir); // and it starts again and serves
      expect((await fetch(`${url}/v1/api-keys`, { headers: auth })).status).toBe(200);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    }, 120_000);
  });
});
