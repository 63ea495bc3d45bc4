import * as argon2 from 'argon2';
import bcrypt from 'bcryptjs';
import { loadConfig } from '@app/core';
import { SystemRandomSource } from '@app/crypto';
import { HashThreads } from './hash-threads';
import { OWASP_ARGON2, PasswordHasher } from './password-hasher';

const CHEAP = { ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' };
const hashers: HashThreads[] = [];
function hasherOf(env: Record<string, string> = {}): PasswordHasher {
  const config = loadConfig(env);
  const threads = new HashThreads(config);
  hashers.push(threads);
  return new PasswordHasher(config, threads, new SystemRandomSource());
}
afterAll(() => Promise.all(hashers.map((t) => t.onModuleDestroy())));

describe('PasswordHasher', () => {
  it('defaults to the OWASP Argon2id parameters and stores a PHC string', async () => {
    const hasher = hasherOf();
    expect(hasher.params).toEqual(OWASP_ARGON2);
    const hash = await hasher.hash('orbit velvet cactus lantern');
    expect(hash).toMatch(/^\$argon2id\$v=19\$/);
    expect(hash.split('$')[3].split(',').sort()).toEqual(['m=19456', 'p=1', 't=2']);
    expect(await hasher.verify(hash, 'orbit velvet cactus lantern')).toBe(true);
    expect(await hasher.verify(hash, 'orbit velvet cactus lanterN')).toBe(false);
    expect(hasher.needsRehash(hash)).toBe(false);
  });

  it('verifies legacy bcrypt hashes and asks for an upgrade', async () => {
    const hasher = hasherOf(CHEAP);
    const legacy = bcrypt.hashSync('legacy password here', 4);
    expect(await hasher.verify(legacy, 'legacy password here')).toBe(true);
    expect(await hasher.verify(legacy, 'wrong')).toBe(false);
    expect(hasher.needsRehash(legacy)).toBe(true);
  });

  it('asks for a rehash when the parameters change', async () => {
    const cheap = hasherOf(CHEAP);
    const hash = await cheap.hash('orbit velvet cactus lantern');
    expect(cheap.needsRehash(hash)).toBe(false);
    expect(hasherOf().needsRehash(hash)).toBe(true);
  });

  it('refuses unknown hash formats', async () => {
    const hasher = hasherOf(CHEAP);
    expect(await hasher.verify('plaintext', 'plaintext')).toBe(false);
    expect(await hasher.verify('$1$md5$crypt', 'x')).toBe(false);
  });

  it('reads and writes the hashes node-argon2 writes and reads, both ways', async () => {
    const hasher = hasherOf(CHEAP);
    const theirs = await argon2.hash('orbit velvet cactus lantern', {
      type: argon2.argon2id,
      memoryCost: 1024,
      timeCost: 1,
      parallelism: 1,
    });
    expect(await hasher.verify(theirs, 'orbit velvet cactus lantern')).toBe(true);
    expect(await hasher.verify(theirs, 'orbit velvet cactus lantern ')).toBe(false);
    expect(hasher.needsRehash(theirs)).toBe(false);
    const ours = await hasher.hash('orbit velvet cactus lantern');
    expect(await argon2.verify(ours, 'orbit velvet cactus lantern')).toBe(true);
    expect(await argon2.verify(ours, 'Orbit velvet cactus lantern')).toBe(false);
    // The other variants, with node-argon2's default of four lanes.
    for (const type of [argon2.argon2i, argon2.argon2d] as const) {
      const other = await argon2.hash('legacy variant', { type, memoryCost: 1024, timeCost: 1 });
      expect(await hasher.verify(other, 'legacy variant')).toBe(true);
      expect(await hasher.verify(other, 'legacy variant!')).toBe(false);
      expect(hasher.needsRehash(other)).toBe(true);
    }
  });

  it('verifies what the built-in cannot read (Argon2 version 1.0) with node-argon2, and asks for an upgrade', async () => {
    const hasher = hasherOf(CHEAP);
    const old = await argon2.hash('version one zero', {
      type: argon2.argon2id,
      memoryCost: 1024,
      timeCost: 1,
      version: 0x10,
    });
    expect(old).toMatch(/^\$argon2id\$v=16\$/);
    expect(await hasher.verify(old, 'version one zero')).toBe(true);
    expect(await hasher.verify(old, 'version one one')).toBe(false);
    expect(hasher.needsRehash(old)).toBe(true);
  });

  it('never verifies a tampered hash, and salts every hash', async () => {
    const hasher = hasherOf(CHEAP);
    const hash = await hasher.hash('orbit velvet cactus lantern');
    expect(await hasher.hash('orbit velvet cactus lantern')).not.toBe(hash);
    const [, alg, v, params, salt, tag] = hash.split('$');
    const flip = (b64: string) => (b64[0] === 'A' ? 'B' : 'A') + b64.slice(1);
    for (const bad of [
      ['', alg, v, params, salt, flip(tag)],
      ['', alg, v, params, flip(salt), tag],
      ['', alg, v, 'm=1024,t=2,p=1', salt, tag],
      ['', 'argon2i', v, params, salt, tag],
      ['', alg, v, params, salt, tag.slice(0, -4)],
    ])
      expect(await hasher.verify(bad.join('$'), 'orbit velvet cactus lantern')).toBe(false);
  });

  it('counts real verifications, not the dummy one that stands in for an unknown account', async () => {
    const hasher = hasherOf(CHEAP);
    hasher.onModuleInit();
    expect(await hasher.verifyDummy('anything')).toBe(false);
    expect(hasher.verifications).toBe(0);
    await hasher.verify(await hasher.hash('x'), 'x');
    expect(hasher.verifications).toBe(1);
  });
});
