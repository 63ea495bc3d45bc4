import { randomBytes } from 'node:crypto';
import { EncryptionCounter, NoopEncryptionCounter } from './encryption-counter';
import { CryptoService, DecryptionFailed } from './crypto.service';
import { decodeEnvelope, encodeEnvelope } from './envelope';
import { Keyring, KeyringError } from './keyring';
import { RandomSource, SystemRandomSource } from './random-source';

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64');
const service = (
  keys = `v1:${k1}`,
  min = 1,
  random: RandomSource = new SystemRandomSource(),
  counter: EncryptionCounter = new NoopEncryptionCounter(),
) => new CryptoService(Keyring.parse(keys, min), random, counter);
const SSN = Buffer.from('123-45-6789');
const CTX = 'profiles|ssn|0b7c…user-a';

describe('CryptoService (AES-256-GCM with AAD)', () => {
  it('round-trips, and the envelope names format and key version', () => {
    const c = service();
    const sealed = c.encrypt('profiles', CTX, SSN);
    expect(c.decrypt('profiles', CTX, sealed)).toEqual(SSN);
    expect(decodeEnvelope(sealed)).toMatchObject({ format: 1, keyVersion: 1 });
    expect(sealed).not.toContain(SSN.toString('base64url'));
    expect(c.decrypt('profiles', CTX, c.encrypt('profiles', CTX, Buffer.alloc(0)))).toEqual(Buffer.alloc(0));
  });

  it('fails with one generic error for another context (row or column swap), purpose, a flipped bit, a truncated or short tag, garbage', () => {
    const c = service();
    const sealed = c.encrypt('profiles', CTX, SSN);
    const e = decodeEnvelope(sealed)!;
    const flip = (buf: Buffer, i: number) => Buffer.from(buf.map((b, j) => (j === i ? b ^ 1 : b)));
    const attempts: [string, string, string][] = [
      ['profiles', 'profiles|ssn|another-user', sealed],
      ['profiles', 'profiles|card|0b7c…user-a', sealed],
      ['transit', CTX, sealed],
      ['profiles', CTX, encodeEnvelope({ ...e, ciphertext: flip(e.ciphertext, 0) })],
      ['profiles', CTX, encodeEnvelope({ ...e, iv: flip(e.iv, 3) })],
      ['profiles', CTX, encodeEnvelope({ ...e, tag: flip(e.tag, 15) })],
      ['profiles', CTX, sealed.slice(0, -4)],
      [
        'profiles',
        CTX,
        Buffer.concat([Buffer.from(sealed, 'base64url').subarray(0, 25), e.ciphertext]).toString('base64url'),
      ],
      ['profiles', CTX, 'not base64 at all!'],
      ['profiles', CTX, ''],
    ];
    for (const [purpose, context, text] of attempts) {
      let caught: unknown;
      try {
        c.decrypt(purpose, context, text);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(DecryptionFailed);
      expect((caught as Error).message).toBe('decryption failed');
    }
  });

  it('a tag cut to 4 bytes in a well-formed envelope is refused before Node could accept it', () => {
    const c = service();
    const e = decodeEnvelope(c.encrypt('profiles', CTX, SSN))!;
    const raw = Buffer.from(encodeEnvelope(e), 'base64url');
    // Re-frame: same header and IV, a 4-byte tag, then the ciphertext (a parser that trusted lengths would misread it).
    const short = Buffer.concat([raw.subarray(0, 17), e.tag.subarray(0, 4), e.ciphertext]).toString('base64url');
    expect(() => c.decrypt('profiles', CTX, short)).toThrow(DecryptionFailed);
  });

  it('uses a fresh IV every time: 100,000 encryptions, no repeat', () => {
    const c = service();
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(decodeEnvelope(c.encrypt('profiles', CTX, SSN))!.iv.toString('base64'));
    expect(seen.size).toBe(100_000);
  });

  it('the newest key encrypts, older ones still decrypt; minDecryptionVersion retires a version; rewrap moves to the newest', () => {
    const old = service(`v1:${k1}`);
    const sealed = old.encrypt('profiles', CTX, SSN);
    const rotated = service(`v1:${k1},v2:${k2}`);
    expect(decodeEnvelope(rotated.encrypt('profiles', CTX, SSN))!.keyVersion).toBe(2);
    expect(rotated.decrypt('profiles', CTX, sealed)).toEqual(SSN);
    const rewrapped = rotated.rewrap('profiles', CTX, sealed);
    expect(decodeEnvelope(rewrapped)!.keyVersion).toBe(2);
    const retired = service(`v1:${k1},v2:${k2}`, 2);
    expect(() => retired.decrypt('profiles', CTX, sealed)).toThrow(DecryptionFailed);
    expect(retired.decrypt('profiles', CTX, rewrapped)).toEqual(SSN);
    // A version number moved in the header no longer matches the AAD it was sealed with.
    const e = decodeEnvelope(rewrapped)!;
    expect(() => retired.decrypt('profiles', CTX, encodeEnvelope({ ...e, keyVersion: 1 }))).toThrow(DecryptionFailed);
  });

  it('derives per-purpose subkeys with HKDF (never the master key itself)', () => {
    const ring = Keyring.parse(`v1:${k1}`);
    const a = ring.subkey('profiles', 1);
    expect(a).toHaveLength(32);
    expect(a.equals(Buffer.from(k1, 'base64'))).toBe(false);
    expect(a.equals(ring.subkey('transit', 1))).toBe(false);
    expect(a.equals(Keyring.parse(`v1:${k1}`).subkey('profiles', 1))).toBe(true);
  });

  it('HMAC signs and verifies in constant time, bound to purpose and context; blind indexes are deterministic and keyed', () => {
    const c = service(`v1:${k1},v2:${k2}`);
    const mac = c.hmac('transit', 'invoices', Buffer.from('amount=10'));
    expect(mac).toMatch(/^v2\.[A-Za-z0-9_-]{43}$/);
    expect(c.verifyHmac('transit', 'invoices', Buffer.from('amount=10'), mac)).toBe(true);
    expect(c.verifyHmac('transit', 'invoices', Buffer.from('amount=11'), mac)).toBe(false);
    expect(c.verifyHmac('transit', 'receipts', Buffer.from('amount=10'), mac)).toBe(false);
    expect(
      c.verifyHmac('transit', 'invoices', Buffer.from('amount=10'), mac.replace(/.$/, mac.endsWith('A') ? 'B' : 'A')),
    ).toBe(false);
    expect(c.verifyHmac('transit', 'invoices', Buffer.from('amount=10'), 'v9.' + mac.slice(3))).toBe(false);
    // A non-canonical spelling (the last character's 2 unused bits set) decodes to the same bytes and is still refused.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = mac.slice(0, -1) + alphabet[alphabet.indexOf(mac.slice(-1)) ^ 1];
    expect(Buffer.from(twin.slice(3), 'base64url').equals(Buffer.from(mac.slice(3), 'base64url'))).toBe(true);
    expect(c.verifyHmac('transit', 'invoices', Buffer.from('amount=10'), twin)).toBe(false);
    expect(c.blindIndex('ssn', '123456789')).toBe(c.blindIndex('ssn', '123456789'));
    expect(c.blindIndex('ssn', '123456789')).not.toBe(service(`v1:${k1}`).blindIndex('ssn', '123456789'));
    expect(c.blindIndex('ssn', '123456789')).not.toBe(c.blindIndex('card', '123456789'));
  });

  it('counts encryptions per key version, and the random source is replaceable', () => {
    const counts = new Map<number, number>();
    const counter = { count: (v: number) => counts.set(v, (counts.get(v) ?? 0) + 1) } as EncryptionCounter;
    const fixed = { bytes: (n: number) => Buffer.alloc(n, 7) } as RandomSource;
    const c = service(`v1:${k1}`, 1, fixed, counter);
    const a = c.encrypt('p', 'x', SSN);
    expect(decodeEnvelope(a)!.iv).toEqual(Buffer.alloc(12, 7));
    c.encrypt('p', 'x', SSN);
    expect(counts.get(1)).toBe(2);
    expect(c.token(16)).toBe(Buffer.alloc(16, 7).toString('base64url'));
  });

  it('refuses malformed keyrings with a clear message', () => {
    expect(() => Keyring.parse('')).toThrow(KeyringError);
    expect(() => Keyring.parse('v1:short')).toThrow(/32/);
    expect(() => Keyring.parse(`1:${k1}`)).toThrow(/v<version>/);
    expect(() => Keyring.parse(`v1:${k1},v1:${k2}`)).toThrow(/twice/);
    expect(() => Keyring.parse(`v1:${k1}`, 2)).toThrow(/minDecryptionVersion/);
  });
});
