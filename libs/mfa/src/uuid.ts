import type { RandomSource } from '@app/crypto';

/** A version-4 UUID from the product's random source (ids chosen before the row exists: they go into the AAD). */
export function uuidFrom(random: RandomSource): string {
  const b = random.bytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
