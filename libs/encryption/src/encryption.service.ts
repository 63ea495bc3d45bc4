import { Injectable } from '@nestjs/common';
import { CryptoService, DecryptionFailed, decodeEnvelope } from '@app/crypto';
import { Principal } from '@app/core';
import {
  TransitCiphertextView,
  TransitHmacVerificationView,
  TransitHmacView,
  TransitPlaintextView,
} from './dto/encryption.response';
import { EncryptionErrorCode, EncryptionException } from './encryption-error-codes';

const PURPOSE = 'transit';

/**
 * Encryption as a service (Vault Transit style). The AAD binds each ciphertext to its caller (the principal's user)
 * and the caller's context, so one user's ciphertexts never decrypt for another, nor under another context.
 */
@Injectable()
export class EncryptionService {
  constructor(private readonly crypto: CryptoService) {}

  encrypt(p: Principal, context: string, plaintext: string): TransitCiphertextView {
    const ciphertext = this.crypto.encrypt(PURPOSE, this.context(p, context), Buffer.from(plaintext, 'base64'));
    return { ciphertext, keyVersion: this.crypto.currentVersion };
  }

  decrypt(p: Principal, context: string, ciphertext: string): TransitPlaintextView {
    return {
      plaintext: this.guard(() => this.crypto.decrypt(PURPOSE, this.context(p, context), ciphertext)).toString(
        'base64',
      ),
    };
  }

  rewrap(p: Principal, context: string, ciphertext: string): TransitCiphertextView {
    const rewrapped = this.guard(() => this.crypto.rewrap(PURPOSE, this.context(p, context), ciphertext));
    return { ciphertext: rewrapped, keyVersion: decodeEnvelope(rewrapped)!.keyVersion };
  }

  hmac(p: Principal, context: string, data: string): TransitHmacView {
    return { mac: this.crypto.hmac(PURPOSE, this.context(p, context), Buffer.from(data, 'base64')) };
  }

  verify(p: Principal, context: string, data: string, mac: string): TransitHmacVerificationView {
    return { valid: this.crypto.verifyHmac(PURPOSE, this.context(p, context), Buffer.from(data, 'base64'), mac) };
  }

  private context(p: Principal, context: string): string {
    return `transit|${p.userId}|${context}`;
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof DecryptionFailed)
        throw new EncryptionException(
          EncryptionErrorCode.DECRYPTION_FAILED,
          'The ciphertext cannot be decrypted in this context.',
        );
      throw err;
    }
  }
}
