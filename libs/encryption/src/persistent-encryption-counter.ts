import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EncryptionCounter } from '@app/crypto';
import { AppConfig, Clock, isDatabaseUnavailable } from '@app/core';
import { EncryptionRepository } from './encryption.repository';

/** 2^32: the NIST SP 800-38D bound on random-IV encryptions under one AES-GCM key. */
export const GCM_RANDOM_IV_LIMIT = 2 ** 32;

/**
 * Counts encryptions per key version in memory and adds them to `encryption_counters` every second and at shutdown
 * (no write per encryption). When a version passes `ENCRYPTION_WARN_PERCENT` of 2^32 it logs a warning (once per
 * process and version): time to add a key version.
 */
@Injectable()
export class PersistentEncryptionCounter
  extends EncryptionCounter
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('Keyring');
  private pending = new Map<number, number>();
  private readonly warned = new Set<number>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  readonly warnAt: number;

  constructor(
    private readonly repo: EncryptionRepository,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    super();
    this.warnAt = Math.floor((GCM_RANDOM_IV_LIMIT * config.env.ENCRYPTION_WARN_PERCENT) / 100);
  }

  count(keyVersion: number): void {
    this.pending.set(keyVersion, (this.pending.get(keyVersion) ?? 0) + 1);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.flushing = this.write().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (!this.pending.size) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      const totals = await this.repo.addCounts(batch, this.clock.now());
      for (const [version, total] of totals) {
        if (total >= this.warnAt && !this.warned.has(version)) {
          this.warned.add(version);
          this.logger.warn(
            { keyVersion: version, encryptions: total, limit: GCM_RANDOM_IV_LIMIT },
            'key version is nearing the AES-GCM random-IV limit: add a new key version and rewrap',
          );
        }
      }
    } catch (err) {
      for (const [v, n] of batch) this.pending.set(v, (this.pending.get(v) ?? 0) + n);
      if (!isDatabaseUnavailable(err)) this.logger.error({ err }, 'encryption counter flush failed; counts kept');
    }
  }
}
