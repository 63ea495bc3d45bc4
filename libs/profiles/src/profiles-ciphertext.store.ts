import { Injectable, OnModuleInit } from '@nestjs/common';
import { AuditTrail, CiphertextStore, CiphertextStores } from '@app/core';
import { Keyring } from '@app/crypto';
import { ProfileCodec } from './profile-codec';
import { ProfilesRepository } from './profiles.repository';

/** The profiles table as a ciphertext store: counted per key version, rewrapped a batch per transaction. */
@Injectable()
export class ProfilesCiphertextStore implements CiphertextStore, OnModuleInit {
  readonly name = 'profiles';

  constructor(
    private readonly repo: ProfilesRepository,
    private readonly codec: ProfileCodec,
    private readonly keyring: Keyring,
    private readonly audit: AuditTrail,
    private readonly registry: CiphertextStores,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  countByVersion(): Promise<Map<number, number>> {
    return this.repo.countByVersion();
  }

  /**
   * Decrypts and re-seals up to `limit` rows under older versions, in memory, in one transaction. A row that fails
   * its integrity check is left as it is (and audited): rewrapping would launder tampered data into a valid MAC.
   */
  async rewrapBatch(limit: number, skip: Set<string>): Promise<{ rewrapped: number; skipped: number }> {
    return this.repo.transaction(async (em) => {
      const rows = await this.repo.lockBatchBelow(em, this.keyring.current, limit, [...skip]);
      let skipped = 0;
      const sealed = [];
      for (const row of rows) {
        let values;
        try {
          if (!this.codec.intact(row)) throw new Error('integrity');
          values = this.codec.open(row);
        } catch {
          await this.audit.record(
            {
              action: 'profile.integrity_failed',
              outcome: 'failure',
              actorType: 'system',
              targetType: 'user',
              targetId: row.userId,
              details: { during: 'rewrap' },
            },
            em,
          );
          skip.add(row.userId);
          skipped++;
          continue;
        }
        this.codec.seal(row, values);
        sealed.push(row);
      }
      await this.repo.updateSealed(em, sealed);
      return { rewrapped: sealed.length, skipped };
    });
  }
}
