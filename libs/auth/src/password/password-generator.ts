import { randomInt } from 'node:crypto';

const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
const SYMBOLS = '!#$%&*+-=?@^_~';
const ALL = LOWER + UPPER + DIGITS + SYMBOLS;

/**
 * A random password from the CSPRNG with every character class present, then shuffled with Fisher–Yates using
 * `crypto.randomInt` (rejection sampling inside, so no modulo bias).
 */
export function generatePassword(length: number, pick: (max: number) => number = randomInt): string {
  if (!Number.isInteger(length) || length < 16 || length > 64) throw new RangeError('length must be 16–64');
  const chars = [LOWER, UPPER, DIGITS, SYMBOLS].map((set) => set[pick(set.length)]);
  while (chars.length < length) chars.push(ALL[pick(ALL.length)]);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}

export const PASSWORD_CLASSES = { LOWER, UPPER, DIGITS, SYMBOLS };
