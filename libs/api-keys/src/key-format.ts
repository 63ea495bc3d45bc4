import * as nodeCrypto from 'node:crypto';
import { crc32 } from 'node:zlib';

export const KEY_ENVIRONMENTS = ['live', 'test'] as const;
export type KeyEnvironment = (typeof KEY_ENVIRONMENTS)[number];

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const KEY_ID_LENGTH = 12;
/** 43 base62 characters carry 256 bits. */
export const SECRET_LENGTH = 43;
/** CRC32 (< 2^32) fits in 6 base62 characters (62^6 ≈ 5.7e10). */
export const CHECKSUM_LENGTH = 6;

/** For secret scanners (GitHub push protection, gitleaks, trufflehog): `sk_live_` or `sk_test_`, id, secret+checksum. */
export const API_KEY_PATTERN = /\bsk_(live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}\b/;
const EXACT = /^sk_(live|test)_([0-9A-Za-z]{12})_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;

export interface ParsedKey {
  environment: KeyEnvironment;
  keyId: string;
  /** `sk_live_<keyId>`: shown in lists so people can tell keys apart; not a secret. */
  prefix: string;
}

/** Uniform base62 characters from CSPRNG bytes by rejection sampling (bytes ≥ 248 are dropped, so no modulo bias). */
export function randomBase62(length: number, bytes: (n: number) => Buffer): string {
  let out = '';
  while (out.length < length) {
    for (const b of bytes(length * 2)) {
      if (b < 248 && out.length < length) out += BASE62[b % 62];
    }
  }
  return out;
}

export function checksumOf(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** A new key: `sk_<env>_<keyId>_<secret><checksum>`. */
export function generateKey(
  environment: KeyEnvironment,
  bytes: (n: number) => Buffer,
): { key: string; keyId: string; prefix: string } {
  const keyId = randomBase62(KEY_ID_LENGTH, bytes);
  const body = `sk_${environment}_${keyId}_${randomBase62(SECRET_LENGTH, bytes)}`;
  return { key: body + checksumOf(body), keyId, prefix: `sk_${environment}_${keyId}` };
}

/**
 * Parses a presented key; `undefined` when the shape or the checksum is wrong. Pure and cheap, so typos and
 * made-up keys are refused before any cache or database lookup.
 */
export function parseKey(presented: string): ParsedKey | undefined {
  const m = EXACT.exec(presented);
  if (!m) return undefined;
  const [, env, keyId, , checksum] = m;
  if (checksumOf(presented.slice(0, -CHECKSUM_LENGTH)) !== checksum) return undefined;
  return { environment: env as KeyEnvironment, keyId, prefix: `sk_${env}_${keyId}` };
}

/** The cache key for a presented key (never stored): a hit means exactly this string verified before. */
export function presentedDigest(presented: string): string {
  return oneShotSha256
    ? oneShotSha256('sha256', presented, 'base64url')
    : nodeCrypto.createHash('sha256').update(presented).digest('base64url');
}

/** `crypto.hash` (Node ≥ 20.12): a one-shot digest without a Hash object, about twice as fast for short inputs. */
const oneShotSha256 = (nodeCrypto as { hash?: (alg: string, data: string, enc: 'base64url') => string }).hash;
