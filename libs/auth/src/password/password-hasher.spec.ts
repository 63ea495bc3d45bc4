import bcrypt from 'bcryptjs';
import { loadConfig } from '@app/core';
import { availableParallelism } from 'node:os';
import { hashConcurrency, OWASP_ARGON2, PasswordHasher } from './password-hasher';
import { Semaphore } from './semaphore';

describe('PasswordHasher', () => {
  it('defaults to the OWASP Argon2id parameters and stores a PHC string', async () => {
    const hasher = new PasswordHasher(loadConfig({}));
    expect(hasher.params).toEqual(OWASP_ARGON2);
    const hash = await hasher.hash('orbit velvet cactus lantern');
    expect(hash).toMatch(/^\$argon2id\$v=19\$/);
    expect(hash.split('$')[3].split(',').sort()).toEqual(['m=19456', 'p=1', 't=2']);
    expect(await hasher.verify(hash, 'orbit velvet cactus lantern')).toBe(true);
    expect(await hasher.verify(hash, 'orbit velvet cactus lanterN')).toBe(false);
    expect(hasher.needsRehash(hash)).toBe(false);
  });

  it('verifies legacy bcrypt hashes and asks for an upgrade', async () => {
    const hasher = new PasswordHasher(loadConfig({ ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' }));
    const legacy = bcrypt.hashSync('legacy password here', 4);
    expect(await hasher.verify(legacy, 'legacy password here')).toBe(true);
    expect(await hasher.verify(legacy, 'wrong')).toBe(false);
    expect(hasher.needsRehash(legacy)).toBe(true);
  });

  it('asks for a rehash when the parameters change', async () => {
    const cheap = new PasswordHasher(loadConfig({ ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' }));
    const hash = await cheap.hash('orbit velvet cactus lantern');
    expect(cheap.needsRehash(hash)).toBe(false);
    expect(new PasswordHasher(loadConfig({})).needsRehash(hash)).toBe(true);
  });

  it('refuses unknown hash formats', async () => {
    const hasher = new PasswordHasher(loadConfig({ ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' }));
    expect(await hasher.verify('plaintext', 'plaintext')).toBe(false);
    expect(await hasher.verify('$1$md5$crypt', 'x')).toBe(false);
  });
});

describe('hashConcurrency', () => {
  it('leaves the event loop a core and the thread pool a thread; at least one; a configured value wins', () => {
    expect(hashConcurrency(0, 4, 1)).toBe(1);
    expect(hashConcurrency(0, 4, 2)).toBe(1);
    expect(hashConcurrency(0, 4, 8)).toBe(3);
    expect(hashConcurrency(0, 16, 8)).toBe(7);
    expect(hashConcurrency(5, 4, 2)).toBe(5);
  });

  it('by default follows the cores this process may use', () => {
    const hasher = new PasswordHasher(loadConfig({}));
    expect(hasher.pool.capacity).toBe(Math.max(1, Math.min(availableParallelism() - 1, 3)));
  });
});

describe('Semaphore', () => {
  it('never runs more than its capacity at once', async () => {
    const gate = new Semaphore(3);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        gate.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(gate.inUse).toBe(0);
  });
});
