import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditService } from '@app/audit';
import { ChangeFeed, CiphertextStores, Principal, SecretStore, isDatabaseUnavailable } from '@app/core';
import { Keyring, RandomSource } from '@app/crypto';
import type { DataSource } from 'typeorm';
import { KeyringRetirementView, KeyringStatusView } from './dto/encryption.response';
import { EncryptionErrorCode, EncryptionException } from './encryption-error-codes';
import { EncryptionRepository } from './encryption.repository';
import { PersistentEncryptionCounter } from './persistent-encryption-counter';
import { RewrapService, RewrapState } from './rewrap.service';

export const KEYRING_TOPIC = 'keyring';

/** The keyring's state for operators: versions, counters, ciphertexts per version, rewrap progress, retirement. */
@Injectable()
export class KeyringAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Keyring');
  constructor(
    private readonly keyring: Keyring,
    private readonly repo: EncryptionRepository,
    private readonly counter: PersistentEncryptionCounter,
    private readonly stores: CiphertextStores,
    private readonly rewrap: RewrapService,
    private readonly audit: AuditService,
    private readonly changes: ChangeFeed,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly secrets: SecretStore,
    private readonly random: RandomSource,
  ) {}

  /** Retirements made at run time (persisted) apply on every instance, at boot and when announced. */
  async onApplicationBootstrap(): Promise<void> {
    // Also called with "anything may have changed" when the listener reconnects, possibly while the database is away.
    this.changes.subscribe(
      KEYRING_TOPIC,
      () =>
        void this.reload().catch((err: unknown) => {
          if (!isDatabaseUnavailable(err)) this.logger.error({ err }, 'reloading the keyring state failed');
        }),
    );
    if (this.dataSource.isInitialized) await this.reload();
  }

  /**
   * Generates the next key version and writes it into the file ENCRYPTION_KEYS is read from (newest first), keeping
   * every older version. Instances encrypt with it after their next restart; then `crypto:rewrap` moves old data.
   */
  async addKeyVersion(): Promise<{ version: number; file: string; versions: number[] }> {
    const current = this.secrets.require('ENCRYPTION_KEYS');
    const versions = Keyring.parse(current).versions;
    const version = Math.max(...versions) + 1;
    const next = [
      `v${version}:${this.random.bytes(32).toString('base64')}`,
      ...current
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    ].join(',');
    Keyring.parse(next); // the new value must load before it replaces the old one
    const file = this.secrets.replaceFile('ENCRYPTION_KEYS', next);
    await this.audit.record({
      action: 'keyring.add_version',
      outcome: 'success',
      actorType: 'system',
      targetType: 'keyring',
      targetId: `v${version}`,
      details: { version, previous: versions },
    });
    return { version, file, versions: [...versions, version] };
  }

  async status(): Promise<KeyringStatusView> {
    await this.counter.flush();
    const counts = new Map((await this.repo.all()).map((r) => [r.keyVersion, r.encryptions]));
    const ciphertexts: Record<string, Record<string, number>> = {};
    for (const store of this.stores.all())
      ciphertexts[store.name] = Object.fromEntries([...(await store.countByVersion())].map(([v, n]) => [`v${v}`, n]));
    return {
      current: this.keyring.current,
      minDecryptionVersion: this.keyring.minDecryptionVersion,
      warnAtEncryptions: this.counter.warnAt,
      versions: this.keyring.versions.map((v) => ({
        version: v,
        encrypts: v === this.keyring.current,
        decrypts: this.keyring.canDecrypt(v),
        encryptions: counts.get(v) ?? 0,
        shareOfGcmLimit: (counts.get(v) ?? 0) / 2 ** 32,
      })),
      ciphertexts,
      rewrap: this.rewrap.state,
    };
  }

  startRewrap(p: Principal): RewrapState {
    void this.audit
      .record({
        action: 'keyring.rewrap_start',
        outcome: 'success',
        actorId: p.userId,
        details: { targetVersion: this.keyring.current },
      })
      .catch(() => undefined);
    return this.rewrap.start();
  }

  /** Retires versions up to `version`; refused while any envelope still uses one of them. */
  async retire(actor: Principal | undefined, version: number): Promise<KeyringRetirementView> {
    if (version >= this.keyring.current || !this.keyring.versions.includes(version)) {
      throw new EncryptionException(
        EncryptionErrorCode.KEY_VERSION_NOT_RETIRABLE,
        `v${version} is the current key or not in the keyring.`,
      );
    }
    const inUse: Record<string, number> = {};
    for (const store of this.stores.all()) {
      for (const [v, n] of await store.countByVersion()) if (v <= version && n > 0) inUse[`${store.name} v${v}`] = n;
    }
    if (Object.keys(inUse).length) {
      throw new EncryptionException(
        EncryptionErrorCode.KEY_VERSION_IN_USE,
        'Ciphertexts still use this version or an older one: rewrap first.',
        { inUse },
      );
    }
    await this.repo.transaction(async (em) => {
      await this.repo.retireThrough(version, em);
      await this.audit.record(
        {
          action: 'keyring.retire',
          outcome: 'success',
          actorType: actor ? 'user' : 'system',
          actorId: actor?.userId ?? null,
          details: { retiredThrough: version },
        },
        em,
      );
      await this.changes.publish(em, KEYRING_TOPIC, String(version));
    });
    this.keyring.retireThrough(version);
    return { minDecryptionVersion: this.keyring.minDecryptionVersion };
  }

  private async reload(): Promise<void> {
    const retired = await this.repo.retiredThrough();
    if (retired > 0 && retired < this.keyring.current) this.keyring.retireThrough(retired);
  }
}
