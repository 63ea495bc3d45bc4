import { Injectable, OnModuleInit } from '@nestjs/common';
import { AuditTrail, CiphertextStore, CiphertextStores } from '@app/core';
import { Keyring } from '@app/crypto';
import { MfaRepository } from './mfa.repository';
import { TotpSecretCodec } from './totp-secret.codec';

/**
 * The TOTP secrets as a ciphertext store: counted per key version by the keyring endpoints and rewrapped by
 * `crypto:rewrap` / the hourly job, a batch per transaction, like the profiles.
 */
@Injectable()
export class MfaCiphertextStore implements CiphertextStore, OnModuleInit {
  readonly name = 'mfa_factors';

  constructor(
    private readonly repo: MfaRepository,
    private readonly codec: TotpSecretCodec,
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

  /** A secret that does not decrypt (moved or tampered) is left alone and audited, never re-sealed. */
  rewrapBatch(limit: number, skip: Set<string>): Promise<{ rewrapped: number; skipped: number }> {
    return this.repo.transaction(async (em) => {
      const rows = await this.repo.lockSecretsBelow(em, this.keyring.current, limit, [...skip]);
      let rewrapped = 0;
      let skipped = 0;
      for (const row of rows) {
        try {
          const sealed = this.codec.rewrap(row.userId, row.id, row.secretCiphertext!);
          await this.repo.updateSecret(em, row.id, sealed.ciphertext, sealed.keyVersion);
          rewrapped++;
        } catch {
          await this.audit.record(
            {
              action: 'mfa.secret_integrity_failed',
              outcome: 'failure',
              actorType: 'system',
              targetType: 'mfa_factor',
              targetId: row.id,
              details: { during: 'rewrap' },
            },
            em,
          );
          skip.add(row.id);
          skipped++;
        }
      }
      return { rewrapped, skipped };
    });
  }
}
