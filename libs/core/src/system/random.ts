import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';

/** The one source of randomness for tokens and IVs (CSPRNG); tests may replace it. */
export abstract class RandomSource {
  abstract bytes(length: number): Buffer;
}

@Injectable()
export class CryptoRandomSource extends RandomSource {
  bytes(length: number): Buffer {
    return randomBytes(length);
  }
}
