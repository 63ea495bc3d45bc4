import { DomainException, DomainExceptionExtras, registerErrorCodes } from '@app/core';

export enum EncryptionErrorCode {
  DECRYPTION_FAILED = 'DECRYPTION_FAILED',
  KEY_VERSION_IN_USE = 'KEY_VERSION_IN_USE',
  KEY_VERSION_NOT_RETIRABLE = 'KEY_VERSION_NOT_RETIRABLE',
}

export const ENCRYPTION_ERRORS = registerErrorCodes<EncryptionErrorCode>({
  DECRYPTION_FAILED: { status: 400, title: 'The ciphertext cannot be decrypted in this context' },
  KEY_VERSION_IN_USE: { status: 409, title: 'Ciphertexts still use this key version; rewrap first' },
  KEY_VERSION_NOT_RETIRABLE: { status: 400, title: 'This key version cannot be retired (it is current or unknown)' },
});

/** Raised by this module with one of its own codes (product-wide codes go through CoreException). */
export class EncryptionException extends DomainException<EncryptionErrorCode> {
  constructor(code: EncryptionErrorCode, detail?: string, extras?: DomainExceptionExtras) {
    super(code, detail, extras);
  }
}
