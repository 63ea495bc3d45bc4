import { Secret, TOTP } from 'otpauth';
import { SequenceRandom } from '../../../test/fakes/core';
import { newRecoveryCodes, normaliseRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes';
import { base32Secret, matchTotpStep, otpauthUri, totpCode, totpStep } from './totp';
import { uuidFrom } from './uuid';

describe('TOTP (RFC 6238)', () => {
  // RFC 6238 appendix B, SHA-1 seed "12345678901234567890": T = 59 s → 94287082 (8 digits), so 287082 with 6.
  const rfcSecret = Buffer.from('12345678901234567890', 'ascii');

  it('matches the RFC 6238 test vectors (6 digits)', () => {
    expect(totpCode(rfcSecret, totpStep(59_000))).toBe('287082');
    expect(totpCode(rfcSecret, totpStep(1_111_111_109_000))).toBe('081804');
    expect(totpCode(rfcSecret, totpStep(2_000_000_000_000))).toBe('279037');
  });

  it('accepts ±1 step and answers which step matched; refuses ±2, malformed and wrong codes', () => {
    const now = 1_800_000_000_000;
    const step = totpStep(now);
    for (const d of [-1, 0, 1]) expect(matchTotpStep(rfcSecret, totpCode(rfcSecret, step + d), now)).toBe(step + d);
    for (const d of [-2, 2]) expect(matchTotpStep(rfcSecret, totpCode(rfcSecret, step + d), now)).toBeUndefined();
    for (const bad of ['', '12345', '1234567', 'abcdef', '12345 ', '１２３４５６'])
      expect(matchTotpStep(rfcSecret, bad, now)).toBeUndefined();
  });

  it('the URI and base32 secret are what authenticator apps read, and agree with otpauth', () => {
    const secret = Buffer.alloc(20, 7);
    const uri = otpauthUri(secret, 'Security Backend', 'ada@example.com');
    expect(uri).toMatch(/^otpauth:\/\/totp\/Security%20Backend:ada%40example\.com\?/);
    expect(uri).toContain(`secret=${base32Secret(secret)}`);
    expect(uri).toContain('algorithm=SHA1&digits=6&period=30');
    const now = 1_800_000_000_000;
    expect(TOTP.generate({ secret: Secret.fromBase32(base32Secret(secret)), timestamp: now })).toBe(
      totpCode(secret, totpStep(now)),
    );
  });
});

describe('recovery codes', () => {
  it('10 grouped codes of 60 bits from the random source, all different, normalising back to their hashed form', () => {
    const codes = newRecoveryCodes(new SequenceRandom());
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const c of codes) {
      expect(c).toMatch(/^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/);
      expect(normaliseRecoveryCode(c)).toBe(c.replace(/-/g, ''));
      expect(normaliseRecoveryCode(` ${c.toUpperCase().replace(/-/g, ' ')} `)).toBe(c.replace(/-/g, ''));
    }
  });

  it('look-alikes are mapped; garbage is refused before any hashing', () => {
    expect(normaliseRecoveryCode('O0IL-abcd-efgh')).toBe('0011abcdefgh');
    for (const bad of ['', 'abc', 'abcd-efgh-jkm', 'abcd-efgh-jkmnp', 'abcd-efgh-jkm!', 'ąbcd-efgh-jkmn'])
      expect(normaliseRecoveryCode(bad)).toBeUndefined();
  });

  it('ids are version-4 UUIDs from the random source', () => {
    expect(uuidFrom(new SequenceRandom())).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
