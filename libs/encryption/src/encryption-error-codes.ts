import { registerErrorCodes } from '@app/core';

export enum EncryptionErrorCode {
  DECRYPTION_FAILED = 'DECRYPTION_FAILED',
}

export const ENCRYPTION_ERRORS = registerErrorCodes<EncryptionErrorCode>({
  DECRYPTION_FAILED: { status: 400, title: 'The ciphertext cannot be decrypted in this context' },
});
