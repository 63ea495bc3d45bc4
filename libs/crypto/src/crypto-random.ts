import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';

/** Randomness for IVs and tokens (the CSPRNG); tests may replace it. */
export abstract class CryptoRandom {
  abstract bytes(length: number): Buffer;
}

@Injectable()
export class SystemCryptoRandom extends CryptoRandom {
  bytes(length: number): Buffer {
    return randomBytes(length);
  }
}

/** Counts encryptions per key version (NIST SP 800-38D: at most 2^32 random-IV encryptions per key). */
export abstract class EncryptionCounter {
  abstract count(keyVersion: number): void;
}

export class NoopEncryptionCounter extends EncryptionCounter {
  count(): void {}
}
