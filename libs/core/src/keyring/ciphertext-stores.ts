import { Injectable } from '@nestjs/common';

/** A table holding envelopes, so the keyring can count them per key version and rewrap them. */
export interface CiphertextStore {
  name: string;
  countByVersion(): Promise<Map<number, number>>;
  /**
   * Re-encrypts up to `limit` rows under older versions to the current one, in one transaction. Rows it cannot
   * rewrap (failed integrity) it adds to `skip` and leaves alone; later batches of the run pass over them.
   */
  rewrapBatch(limit: number, skip: Set<string>): Promise<{ rewrapped: number; skipped: number }>;
}

/**
 * Registry the bounded contexts that store ciphertexts add themselves to (profiles …); the encryption context counts
 * and rewraps through it. It lives in core so a context that seals its own data does not depend on encryption.
 */
@Injectable()
export class CiphertextStores {
  private readonly stores: CiphertextStore[] = [];

  register(store: CiphertextStore): void {
    this.stores.push(store);
  }

  all(): readonly CiphertextStore[] {
    return this.stores;
  }
}
