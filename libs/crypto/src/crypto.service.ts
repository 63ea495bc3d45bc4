import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { EncryptionCounter } from './encryption-counter';
import { decodeEnvelope, encodeEnvelope, ENVELOPE_FORMAT, IV_BYTES, TAG_BYTES } from './envelope';
import { Keyring } from './keyring';
import { RandomSource } from './random-source';

/** The one error every decryption failure becomes: wrong key, wrong context, tampering, truncation, garbage. */
export class DecryptionFailed extends Error {
  constructor() {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super('decryption failed');
    Error.stackTraceLimit = limit;
    this.name = 'DecryptionFailed';
  }
}

/** Binds a ciphertext to where it belongs and to the key and format that made it. */
export function aadOf(context: string, keyVersion: number): Buffer {
  return Buffer.from(`${context}|v${keyVersion}|f${ENVELOPE_FORMAT}`, 'utf8');
}

/**
 * AES-256-GCM with AAD, HMAC-SHA-256 and tokens over a versioned keyring. `purpose` picks the HKDF subkey
 * (profiles, transit, blind index …); `context` (e.g. `profiles|ssn|<userId>`) goes into the AAD, so a ciphertext
 * copied to another row, column or caller fails to decrypt.
 */
@Injectable()
export class CryptoService {
  constructor(
    private readonly keyring: Keyring,
    private readonly random: RandomSource,
    private readonly counter: EncryptionCounter,
  ) {}

  get currentVersion(): number {
    return this.keyring.current;
  }

  encrypt(purpose: string, context: string, plaintext: Buffer): string {
    const version = this.keyring.current;
    const iv = this.random.bytes(IV_BYTES);
    if (iv.length !== IV_BYTES) throw new Error('the random source returned a short IV');
    const cipher = createCipheriv('aes-256-gcm', this.keyring.subkey(purpose, version), iv, {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(aadOf(context, version));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    this.counter.count(version);
    return encodeEnvelope({ format: ENVELOPE_FORMAT, keyVersion: version, iv, tag: cipher.getAuthTag(), ciphertext });
  }

  decrypt(purpose: string, context: string, envelope: string): Buffer {
    const e = decodeEnvelope(envelope);
    // Checked before setAuthTag: Node would otherwise accept a shortened tag.
    if (!e || e.iv.length !== IV_BYTES || e.tag.length !== TAG_BYTES || !this.keyring.canDecrypt(e.keyVersion))
      throw new DecryptionFailed();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.keyring.subkey(purpose, e.keyVersion), e.iv, {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aadOf(context, e.keyVersion));
      decipher.setAuthTag(e.tag);
      return Buffer.concat([decipher.update(e.ciphertext), decipher.final()]);
    } catch {
      throw new DecryptionFailed();
    }
  }

  /** Re-encrypts under the current key version without handing the plaintext to the caller. */
  rewrap(purpose: string, context: string, envelope: string): string {
    const plaintext = this.decrypt(purpose, context, envelope);
    try {
      return this.encrypt(purpose, context, plaintext);
    } finally {
      plaintext.fill(0);
    }
  }

  /** HMAC-SHA-256 under the purpose's subkey of the current version, as `v<version>.<base64url>`. */
  hmac(purpose: string, context: string, data: Buffer): string {
    return this.mac(purpose, context, data, this.keyring.current);
  }

  verifyHmac(purpose: string, context: string, data: Buffer, mac: string): boolean {
    const m = /^v(\d{1,6})\.([A-Za-z0-9_-]{43})$/.exec(mac);
    if (!m || !this.keyring.canDecrypt(Number(m[1]))) return false;
    // The encodings are compared, not the decoded bytes: the last of 43 characters carries 2 unused bits that a
    // decoder ignores, so comparing bytes would accept four spellings of one MAC. Only the canonical one verifies.
    const expected = Buffer.from(this.mac(purpose, context, data, Number(m[1])).split('.')[1], 'ascii');
    const given = Buffer.from(m[2], 'ascii');
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  /** A deterministic keyed digest for lookups (blind index): same input, same output, under one fixed version. */
  blindIndex(purpose: string, normalised: string, version = this.keyring.current): string {
    return createHmac('sha256', this.keyring.subkey(`blind-index|${purpose}`, version))
      .update(normalised, 'utf8')
      .digest('base64url');
  }

  /** A random token from the CSPRNG (base64url). */
  token(bytes = 32): string {
    return this.random.bytes(bytes).toString('base64url');
  }

  private mac(purpose: string, context: string, data: Buffer, version: number): string {
    const h = createHmac('sha256', this.keyring.subkey(`hmac|${purpose}`, version));
    h.update(`${context.length}:${context}|`, 'utf8');
    h.update(data);
    return `v${version}.${h.digest('base64url')}`;
  }
}
