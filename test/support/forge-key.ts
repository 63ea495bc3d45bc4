import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(n: number, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/**
 * A well-formed key with a correct checksum that the service never issued, built independently of the product's
 * code (as an attacker who read the format would): it passes the cheap checks and must fail at the hash.
 */
export function generateKeyForTest(keyId?: string): string {
  const id = keyId ?? Array.from(randomBytes(12), (b) => BASE62[b % 62]).join('');
  const body = `sk_live_${id}_${Array.from(randomBytes(43), (b) => BASE62[b % 62]).join('')}`;
  return body + base62(crc32(body), 6);
}
