import { loadConfig } from '@app/core';
import { readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { Argon2Input } from './argon2-phc';
import { hashConcurrency, HashThreads } from './hash-threads';

const INPUT: Argon2Input = {
  algorithm: 'argon2id',
  memory: 1024,
  passes: 1,
  parallelism: 1,
  nonce: Buffer.alloc(16, 7),
  tagLength: 32,
};

/** A thread's niceness as the kernel keeps it: field 19 of /proc/<pid>/task/<tid>/stat (after the `(comm)`). */
function kernelNice(tid: number): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

const pools: HashThreads[] = [];
function poolOf(env: Record<string, string>): HashThreads {
  const pool = new HashThreads(loadConfig(env));
  pools.push(pool);
  return pool;
}
afterAll(() => Promise.all(pools.map((p) => p.onModuleDestroy())));

describe('hashConcurrency', () => {
  it('leaves the event loop a core; at least one thread; a configured value wins', () => {
    expect(hashConcurrency(0, 1)).toBe(1);
    expect(hashConcurrency(0, 2)).toBe(1);
    expect(hashConcurrency(0, 8)).toBe(7);
    expect(hashConcurrency(5, 2)).toBe(5);
  });
});

describe('HashThreads', () => {
  it('computes the Argon2 tag of the reference implementation (RFC 9106 parameters, node-argon2 raw)', async () => {
    const argon2 = await import('argon2');
    const pool = poolOf({ HASH_CONCURRENCY: '1' });
    const expected = await argon2.hash('pw', {
      type: argon2.argon2id,
      memoryCost: 1024,
      timeCost: 1,
      parallelism: 1,
      salt: INPUT.nonce,
      raw: true,
    });
    expect((await pool.argon2('pw', INPUT)).equals(expected)).toBe(true);
  });

  // Thread niceness is a Linux notion, read here from /proc.
  (process.platform === 'linux' ? it : it.skip)(
    'runs its threads below the event loop’s priority, as the kernel sees them',
    async () => {
      const before = kernelNice(process.pid);
      const pool = poolOf({ HASH_CONCURRENCY: '2', HASH_THREAD_NICE: '7' });
      await Promise.all([pool.argon2('a', INPUT), pool.argon2('b', INPUT)]);
      const threads = pool.running;
      expect(threads).toHaveLength(2);
      for (const t of threads) {
        expect(t.nice).toBe(7);
        expect(kernelNice(t.tid as number)).toBe(7);
      }
      // The event loop's thread (the process's main thread) keeps its own priority.
      expect(kernelNice(process.pid)).toBe(before);
      expect(getPriority()).toBe(before);
    },
  );

  it('never computes more than its capacity at once; the rest wait, and all finish', async () => {
    const pool = poolOf({ HASH_CONCURRENCY: '2' });
    const busy: number[] = [];
    const jobs = Array.from({ length: 9 }, (_, i) =>
      pool.argon2(`pw${i}`, INPUT).then((tag) => {
        busy.push(pool.inUse);
        return tag.toString('hex');
      }),
    );
    expect(pool.inUse).toBe(2);
    expect(pool.queued).toBe(7);
    const tags = await Promise.all(jobs);
    expect(new Set(tags).size).toBe(9);
    expect(Math.max(...busy)).toBeLessThanOrEqual(2);
    expect(pool.running).toHaveLength(2);
    expect(pool.inUse + pool.queued).toBe(0);
  });

  it('fails a job whose parameters Argon2 refuses, and goes on with the next', async () => {
    const pool = poolOf({ HASH_CONCURRENCY: '1' });
    await expect(pool.argon2('pw', { ...INPUT, nonce: Buffer.alloc(4) })).rejects.toThrow(/Argon2 failed/);
    expect((await pool.argon2('pw', INPUT)).length).toBe(32);
  });

  it('fails the job of a thread that dies, replaces the thread, and shuts down cleanly', async () => {
    const pool = poolOf({ HASH_CONCURRENCY: '1', ARGON2_MEMORY_KIB: '1024' });
    const doomed = pool.argon2('pw', { ...INPUT, memory: 65536, passes: 8 });
    const next = pool.argon2('pw', INPUT);
    const [thread] = (pool as unknown as { threads: { worker: { terminate(): Promise<number> } }[] }).threads;
    await thread.worker.terminate();
    await expect(doomed).rejects.toThrow(/exited/);
    expect((await next).length).toBe(32);
    expect(pool.running).toHaveLength(1);
    await pool.onModuleDestroy();
    await expect(pool.argon2('pw', INPUT)).rejects.toThrow(/shut down/);
    expect(pool.running).toHaveLength(0);
  });
});
