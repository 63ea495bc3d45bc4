import type { RandomSource } from '@app/crypto';

/**
 * Ten codes a set; each 12 characters of a 32-letter alphabet: 60 bits (at least 50 asked). Below 112 bits, so they
 * are stored as Argon2id hashes, not fast digests (NIST SP 800-63B 5.1.2.2).
 */
export const RECOVERY_CODE_COUNT = 10;
const GROUPS = 3;
const GROUP_LENGTH = 4;
/** Crockford-like base32 without look-alikes (no i, l, o, u): read aloud or copied by hand without confusion. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** A fresh set of codes, grouped for reading: `k7mq-2xvd-9rtp`. Each character takes 5 unbiased bits. */
export function newRecoveryCodes(random: RandomSource, count = RECOVERY_CODE_COUNT): string[] {
  const codes: string[] = [];
  for (let n = 0; n < count; n++) {
    const bytes = random.bytes(GROUPS * GROUP_LENGTH);
    const chars = [...bytes].map((b) => ALPHABET[b & 31]);
    const groups: string[] = [];
    for (let g = 0; g < GROUPS; g++) groups.push(chars.slice(g * GROUP_LENGTH, (g + 1) * GROUP_LENGTH).join(''));
    codes.push(groups.join('-'));
  }
  return codes;
}

/**
 * A code as typed, to the form that was hashed: lower case, separators and spaces dropped, look-alikes mapped
 * (o→0, i/l→1). Undefined when it cannot be a code (so nothing is hashed for garbage).
 */
export function normaliseRecoveryCode(input: string): string | undefined {
  const s = input.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  if (s.length !== GROUPS * GROUP_LENGTH) return undefined;
  for (const c of s) if (!ALPHABET.includes(c)) return undefined;
  return s;
}
