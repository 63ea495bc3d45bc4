import { createHash } from 'node:crypto';
import type { RandomSource } from '@app/crypto';

/** 32 random bytes, base64url (43 characters): a session, verification or reset token. */
export function newOpaqueToken(random: RandomSource): string {
  return random.bytes(32).toString('base64url');
}

/** High-entropy tokens need no slow hash (NIST SP 800-63B 5.1.2.2): SHA-256 makes the stored value useless to a reader. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export const OPAQUE_TOKEN = /^[A-Za-z0-9_-]{43}$/;
