/** Counts encryptions per key version (NIST SP 800-38D: at most 2^32 random-IV encryptions per key). */
export abstract class EncryptionCounter {
  abstract count(keyVersion: number): void;
}

export class NoopEncryptionCounter extends EncryptionCounter {
  count(): void {}
}
