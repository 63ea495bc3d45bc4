import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';

/**
 * The product's one source of randomness for tokens, keys and IVs (the CSPRNG). It lives in libs/crypto, the lib
 * that imports nothing of ours, so both the crypto primitives and every context above them inject the same class;
 * CoreModule provides it globally and tests replace it there (`CoreRuntime.random`).
 */
export abstract class RandomSource {
  abstract bytes(length: number): Buffer;
}

@Injectable()
export class SystemRandomSource extends RandomSource {
  bytes(length: number): Buffer {
    return randomBytes(length);
  }
}
