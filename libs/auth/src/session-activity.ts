import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, isDatabaseUnavailable } from '@app/core';
import { SessionsRepository } from './sessions.repository';

/**
 * Session last-seen times, kept in memory and written in batches (every `USAGE_FLUSH_INTERVAL_MS`, as key usage is,
 * and on shutdown): no database write on the request path. The idle timeout on other instances is therefore exact to
 * within one flush interval. A flush that fails because the database is away keeps its times for the next one.
 */
@Injectable()
export class SessionActivity implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SessionActivity');
  /** Session id → epoch ms of its latest use not yet written. */
  private pending = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  flushes = 0;

  constructor(
    private readonly repo: SessionsRepository,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), this.config.env.USAGE_FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Notes a use of the session at `atMs` (written with the next batch). */
  record(sessionId: string, atMs: number): void {
    const before = this.pending.get(sessionId);
    if (before === undefined || before < atMs) this.pending.set(sessionId, atMs);
  }

  /** The latest use noted and not yet written, if any. */
  unwritten(sessionId: string): number | undefined {
    return this.pending.get(sessionId);
  }

  /** Writes everything recorded before the call (after a flush already running). */
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
      await this.repo.touchMany([...batch].map(([id, ms]) => ({ id, seenAt: new Date(ms) })));
      this.flushes++;
    } catch (err) {
      if (!isDatabaseUnavailable(err)) {
        this.logger.error({ err, sessions: batch.size }, 'session last-seen batch could not be written');
        return;
      }
      for (const [id, ms] of batch) this.record(id, ms);
    }
  }
}
