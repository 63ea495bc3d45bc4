import { Injectable } from '@nestjs/common';
import { CryptoService } from '@app/crypto';

/** The keyring purpose (HKDF subkey) of TOTP secrets: their own key, unrelated to the profiles' or transit's. */
export const TOTP_PURPOSE = 'mfa-totp';

/** Seals and opens TOTP secrets; the AAD binds each to its user and factor, so a ciphertext moved elsewhere fails. */
@Injectable()
export class TotpSecretCodec {
  constructor(private readonly crypto: CryptoService) {}

  static context(userId: string, factorId: string): string {
    return `mfa|totp|${userId}|${factorId}`;
  }

  seal(userId: string, factorId: string, secret: Buffer): { ciphertext: string; keyVersion: number } {
    return {
      ciphertext: this.crypto.encrypt(TOTP_PURPOSE, TotpSecretCodec.context(userId, factorId), secret),
      keyVersion: this.crypto.currentVersion,
    };
  }

  /** Throws DecryptionFailed on a wrong key, a moved or tampered ciphertext. */
  open(userId: string, factorId: string, ciphertext: string): Buffer {
    return this.crypto.decrypt(TOTP_PURPOSE, TotpSecretCodec.context(userId, factorId), ciphertext);
  }

  /** Re-encrypts under the current key version (the rewrap), without handing the secret out. */
  rewrap(userId: string, factorId: string, ciphertext: string): { ciphertext: string; keyVersion: number } {
    return {
      ciphertext: this.crypto.rewrap(TOTP_PURPOSE, TotpSecretCodec.context(userId, factorId), ciphertext),
      keyVersion: this.crypto.currentVersion,
    };
  }
}
