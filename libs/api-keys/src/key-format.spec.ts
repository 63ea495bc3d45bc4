import { randomBytes } from 'node:crypto';
import { API_KEY_PATTERN, checksumOf, generateKey, parseKey, randomBase62 } from './key-format';

describe('API key format', () => {
  it('generates keys that parse, match the scanner regex and carry their id', () => {
    for (let i = 0; i < 200; i++) {
      const { key, keyId, prefix } = generateKey(i % 2 ? 'live' : 'test', randomBytes);
      expect(key).toMatch(API_KEY_PATTERN);
      expect(key).toHaveLength(70);
      expect(parseKey(key)).toEqual({ environment: i % 2 ? 'live' : 'test', keyId, prefix });
    }
  });

  it('refuses any single-character change (the CRC32 checksum catches it)', () => {
    const { key } = generateKey('live', randomBytes);
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    for (let pos = 8; pos < key.length; pos++) {
      if (key[pos] === '_') continue;
      const other = alphabet[(alphabet.indexOf(key[pos]) + 7) % 62];
      expect(parseKey(key.slice(0, pos) + other + key.slice(pos + 1))).toBeUndefined();
    }
  });

  it('refuses wrong prefixes, lengths and characters', () => {
    const { key } = generateKey('live', randomBytes);
    for (const bad of [
      key.replace('sk_live_', 'sk_prod_'),
      key.slice(1),
      `${key}A`,
      key.replace(/.$/, '-'),
      '',
      'sk_live_',
      `${key}\n`,
    ]) {
      expect(parseKey(bad)).toBeUndefined();
    }
  });

  it('checksums are fixed-width base62', () => {
    expect(checksumOf('')).toBe('000000');
    expect(checksumOf('sk_live_x')).toMatch(/^[0-9A-Za-z]{6}$/);
  });

  it('draws base62 characters without modulo bias', () => {
    const counts = new Map<string, number>();
    const s = randomBase62(62 * 2000, randomBytes);
    for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // Expected 2000 each; with a byte % 62 bias the first 8 characters would get ~25% more.
    for (const n of counts.values()) expect(Math.abs(n - 2000)).toBeLessThan(300);
  });
});
