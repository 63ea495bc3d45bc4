import { Injectable } from '@nestjs/common';

/** A table holding envelopes, so the keyring can count them per key version and rewrap them. */
export interface CiphertextStore {
  name: string;
  countByVersion(): Promise<Map<number, number>>;
  /** Re-encrypts up to `limit` rows under older versions to the current one, in one transaction; answers how many. */
  rewrapBatch(limit: number): Promise<number>;
}

/** Registry the bounded contexts that store ciphertexts add themselves to (profiles …). */
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
