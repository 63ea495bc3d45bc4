import { HashThreads, PasswordHasher } from '@app/auth';
import { SystemRandomSource } from '@app/crypto';
import { loadConfig, SecretStore } from '@app/core';
import { KeyHasher, parsePeppers } from './key-hasher';

function hasherWith(scheme: 'hmac-sha256' | 'argon2id', peppers: string): KeyHasher {
  const config = loadConfig({ API_KEY_HASH: scheme, ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' });
  const secrets = { require: () => peppers } as unknown as SecretStore;
  return new KeyHasher(config, secrets, new PasswordHasher(config, new HashThreads(config), new SystemRandomSource()));
}

const KEY = 'sk_live_AAAAAAAAAAAA_' + 'b'.repeat(49);
const P1 = '1:first-pepper-0123456789';
const P2 = '2:second-pepper-0123456789';

describe('KeyHasher', () => {
  it('stores a PHC-style HMAC string that names scheme and pepper version, and verifies it', async () => {
    const h = hasherWith('hmac-sha256', P1);
    const stored = await h.hash(KEY);
    expect(stored).toMatch(/^\$hmac-sha256\$v=1\$[A-Za-z0-9+/]{43}$/);
    expect(stored).not.toContain(KEY);
    expect(await h.verify(KEY, stored)).toEqual({ ok: true, needsRehash: false });
    expect(await h.verify(`${KEY.slice(0, -1)}c`, stored)).toEqual({ ok: false, needsRehash: false });
  });

  it('depends on the pepper: another pepper does not verify', async () => {
    const stored = await hasherWith('hmac-sha256', P1).hash(KEY);
    expect((await hasherWith('hmac-sha256', '1:another-pepper-0123456789').verify(KEY, stored)).ok).toBe(false);
  });

  it('keeps old pepper versions verifying and asks to re-hash them to the newest', async () => {
    const old = await hasherWith('hmac-sha256', P1).hash(KEY);
    const rotated = hasherWith('hmac-sha256', `${P2},${P1}`);
    expect(await rotated.verify(KEY, old)).toEqual({ ok: true, needsRehash: true });
    expect(await rotated.hash(KEY)).toMatch(/^\$hmac-sha256\$v=2\$/);
    // A pepper that was dropped no longer verifies anything hashed under it.
    expect((await hasherWith('hmac-sha256', P2).verify(KEY, old)).ok).toBe(false);
  });

  it('verifies argon2id hashes and migrates between schemes in both directions', async () => {
    const argon = hasherWith('argon2id', P1);
    const stored = await argon.hash(KEY);
    expect(stored).toMatch(/^\$argon2id\$/);
    expect(await argon.verify(KEY, stored)).toEqual({ ok: true, needsRehash: false });
    expect(await hasherWith('hmac-sha256', P1).verify(KEY, stored)).toEqual({ ok: true, needsRehash: true });
    const hmac = await hasherWith('hmac-sha256', P1).hash(KEY);
    expect(await argon.verify(KEY, hmac)).toEqual({ ok: true, needsRehash: true });
  });

  it('refuses unknown schemes and malformed pepper lists', async () => {
    expect(await hasherWith('hmac-sha256', P1).verify(KEY, '$sha1$abc')).toEqual({ ok: false, needsRehash: false });
    expect(() => parsePeppers('short:x')).toThrow(/version:secret/);
    expect(() => parsePeppers('')).toThrow(/no pepper/);
  });
});
