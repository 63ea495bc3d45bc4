import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Keyring } from '@app/crypto';
import { CiphertextStores, Clock, JobScheduler } from '@app/core';
import { KeyringRewrapView } from './dto/encryption.response';

export const REWRAP_JOB = 'crypto.rewrap';

/** The rewrap's progress (documented as `KeyringRewrapView`). */
export type RewrapState = KeyringRewrapView;

/**
 * Moves every envelope under an older key version to the current one, store by store, in batches: each batch is
 * one transaction (decrypt and re-encrypt in memory, never a plaintext written anywhere), so a crash loses at most
 * the batch in flight, and a rerun continues with the rows still under old versions.
 */
@Injectable()
export class RewrapService implements OnModuleInit {
  private readonly logger = new Logger('Rewrap');
  private current: RewrapState = {
    state: 'idle',
    targetVersion: null,
    startedAt: null,
    finishedAt: null,
    rewrapped: 0,
    skipped: 0,
    remaining: null,
  };
  private running?: Promise<RewrapState>;

  constructor(
    private readonly stores: CiphertextStores,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
    private readonly scheduler: JobScheduler,
  ) {}

  /** Hourly (one instance): whatever is still under an older key version moves to the current one, batch by batch. */
  onModuleInit(): void {
    this.scheduler.register({
      name: REWRAP_JOB,
      everyMs: 3_600_000,
      run: async () => {
        if (!(await this.remaining())) return { rewrapped: 0, skipped: 0, remaining: 0 };
        const s = await this.run();
        if (s.state === 'failed') throw new Error(s.error ?? 'rewrap failed');
        return { rewrapped: s.rewrapped, skipped: s.skipped, remaining: s.remaining ?? 0 };
      },
    });
  }

  get state(): RewrapState {
    return { ...this.current };
  }

  /** Starts a run in the background (or reports the one running). */
  start(batchSize = 200): RewrapState {
    void this.run(batchSize).catch(() => undefined);
    return this.state;
  }

  /** Runs a rewrap to its end; while one is running in this process (the hourly job, an admin's start), joins it. */
  run(batchSize = 200, onProgress?: (s: RewrapState) => void): Promise<RewrapState> {
    if (!this.running) {
      this.running = this.execute(batchSize, onProgress).finally(() => (this.running = undefined));
    }
    return this.running;
  }

  private async execute(batchSize: number, onProgress?: (s: RewrapState) => void): Promise<RewrapState> {
    // Running from the first moment, so start() answers `running` (the count of what is left comes a query later).
    this.current = {
      state: 'running',
      targetVersion: this.keyring.current,
      startedAt: this.clock.now().toISOString(),
      finishedAt: null,
      rewrapped: 0,
      skipped: 0,
      remaining: null,
    };
    try {
      this.current.remaining = await this.remaining();
      onProgress?.(this.state);
      for (const store of this.stores.all()) {
        const skip = new Set<string>();
        for (;;) {
          const { rewrapped, skipped } = await store.rewrapBatch(batchSize, skip);
          if (rewrapped === 0 && skipped === 0) break;
          this.current.rewrapped += rewrapped;
          this.current.skipped += skipped;
          this.current.remaining = Math.max(0, (this.current.remaining ?? 0) - rewrapped - skipped);
          onProgress?.(this.state);
        }
      }
      this.current = {
        ...this.current,
        state: 'done',
        finishedAt: this.clock.now().toISOString(),
        remaining: await this.remaining(),
      };
    } catch (err) {
      this.logger.error({ err }, 'rewrap failed; rerun to continue where it stopped');
      this.current = {
        ...this.current,
        state: 'failed',
        finishedAt: this.clock.now().toISOString(),
        error: err instanceof Error ? err.message.slice(0, 200) : 'failed',
      };
    }
    onProgress?.(this.state);
    return this.state;
  }

  /** Envelopes under versions older than the current one, across all stores. */
  async remaining(): Promise<number> {
    let n = 0;
    for (const store of this.stores.all())
      for (const [v, count] of await store.countByVersion()) if (v < this.keyring.current) n += count;
    return n;
  }
}
