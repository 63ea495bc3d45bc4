import { timingSafeEqual } from 'node:crypto';
import { HOTP, Secret, TOTP } from 'otpauth';

/** RFC 6238 as authenticator apps accept it: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_S = 30;
export const TOTP_DIGITS = 6;
/** Accepted drift: one step either side of now. */
export const TOTP_WINDOW = 1;
/** 160-bit secrets (RFC 4226 recommends the HMAC-SHA-1 output length). */
export const TOTP_SECRET_BYTES = 20;

/** The time step of `nowMs`. */
export function totpStep(nowMs: number): number {
  return TOTP.counter({ period: TOTP_PERIOD_S, timestamp: nowMs });
}

/** The code of one time step (tests and the matcher). */
export function totpCode(secret: Buffer, step: number): string {
  return HOTP.generate({ secret: new Secret({ buffer: toArrayBuffer(secret) }), counter: step, digits: TOTP_DIGITS });
}

/**
 * The time step whose code `code` is, within ±TOTP_WINDOW of now (the latest first), or undefined. Every step of the
 * window is computed and compared in constant time, so timing tells nothing about which one matched.
 */
export function matchTotpStep(secret: Buffer, code: string, nowMs: number): number | undefined {
  if (!/^[0-9]{6}$/.test(code)) return undefined;
  const now = totpStep(nowMs);
  let found: number | undefined;
  for (let delta = TOTP_WINDOW; delta >= -TOTP_WINDOW; delta--) {
    const step = now + delta;
    const expected = Buffer.from(totpCode(secret, step), 'ascii');
    if (timingSafeEqual(expected, Buffer.from(code, 'ascii')) && found === undefined) found = step;
  }
  return found;
}

/** The `otpauth://totp/…` URI an authenticator app scans: issuer, account label and the base32 secret. */
export function otpauthUri(secret: Buffer, issuer: string, label: string): string {
  return new TOTP({
    issuer,
    label,
    secret: new Secret({ buffer: toArrayBuffer(secret) }),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_S,
  }).toString();
}

/** The base32 form of a secret, for typing it in by hand. */
export function base32Secret(secret: Buffer): string {
  return new Secret({ buffer: toArrayBuffer(secret) }).base32;
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
