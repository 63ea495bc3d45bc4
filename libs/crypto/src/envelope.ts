/**
 * The ciphertext envelope, binary then base64url:
 *   byte 0      format version (1)
 *   bytes 1–4   key version (uint32, big-endian)
 *   bytes 5–16  IV (12 bytes)
 *   bytes 17–32 GCM tag (16 bytes)
 *   bytes 33–   ciphertext
 */
export const ENVELOPE_FORMAT = 1;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
const HEADER = 1 + 4 + IV_BYTES + TAG_BYTES;

export interface Envelope {
  format: number;
  keyVersion: number;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

export function encodeEnvelope(e: Envelope): string {
  const head = Buffer.alloc(5);
  head.writeUInt8(e.format, 0);
  head.writeUInt32BE(e.keyVersion, 1);
  return Buffer.concat([head, e.iv, e.tag, e.ciphertext]).toString('base64url');
}

/** Parses an envelope; `undefined` for anything malformed (callers turn that into the one generic failure). */
export function decodeEnvelope(text: string): Envelope | undefined {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const raw = Buffer.from(text, 'base64url');
  if (raw.length < HEADER || raw.toString('base64url') !== text) return undefined;
  const format = raw.readUInt8(0);
  if (format !== ENVELOPE_FORMAT) return undefined;
  return {
    format,
    keyVersion: raw.readUInt32BE(1),
    iv: raw.subarray(5, 5 + IV_BYTES),
    tag: raw.subarray(5 + IV_BYTES, HEADER),
    ciphertext: raw.subarray(HEADER),
  };
}

/** The key version of a ciphertext without decrypting it (rewrap planning, keyring statistics). */
export function keyVersionOf(text: string): number | undefined {
  return decodeEnvelope(text)?.keyVersion;
}
