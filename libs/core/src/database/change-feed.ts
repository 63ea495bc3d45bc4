import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Client } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';

export const CHANGE_CHANNEL = 'sb_changes';
/** Published by libs/auth when a user's scopes or state change (keys acting for them must be re-checked). */
export const USER_CHANGES_TOPIC = 'user';

/** `id` is what changed; `undefined` means "anything may have changed" (the listener lost its connection). */
export type ChangeHandler = (id: string | undefined) => void;

/**
 * Cross-instance cache invalidation over PostgreSQL LISTEN/NOTIFY. `publish` queues a NOTIFY in the caller's
 * transaction (PostgreSQL delivers it only on commit, so a rolled-back change invalidates nothing); the writer calls
 * `emitLocal` after commit so its own instance is consistent before the request returns. One dedicated connection
 * listens; when it drops, every subscriber is told "anything may have changed" and it reconnects with backoff.
 */
@Injectable()
export class ChangeFeed implements OnApplicationShutdown {
  private readonly logger = new Logger('ChangeFeed');
  private readonly handlers = new Map<string, Set<ChangeHandler>>();
  private client?: Client;
  private connecting?: Promise<void>;
  private closed = false;
  private retryMs = 250;
  private retryTimer?: NodeJS.Timeout;
  /** Notifications received (for tests and metrics). */
  received = 0;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Subscribes to a topic and starts listening (once per process). */
  subscribe(topic: string, handler: ChangeHandler): void {
    if (!this.handlers.has(topic)) this.handlers.set(topic, new Set());
    this.handlers.get(topic)!.add(handler);
  }

  /** Starts the listener; resolves once LISTEN is in place (so a change committed afterwards is seen). */
  listen(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Queues a change notice in the caller's transaction. */
  async publish(em: EntityManager, topic: string, id: string): Promise<void> {
    await em.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, JSON.stringify({ topic, id })]);
  }

  /** Tells this instance's subscribers at once (call after the transaction committed). */
  emitLocal(topic: string, id: string | undefined): void {
    for (const handler of this.handlers.get(topic) ?? []) handler(id);
  }

  get listening(): boolean {
    return this.client !== undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const url = (this.dataSource.options as { url?: string }).url;
    const client = new Client({
      connectionString: url,
      application_name: 'security-backend-listener',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    client.on('notification', (msg) => this.onNotification(msg.payload));
    // An error while this instance closes the connection itself is part of a normal shutdown, not news.
    client.on('error', (err) =>
      this.closed
        ? this.logger.debug({ err }, 'change listener connection error while closing')
        : this.logger.warn({ err }, 'change listener connection error'),
    );
    client.on('end', () => this.onLost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
      this.client = client;
      this.retryMs = 250;
      // Whatever was cached before LISTEN was in place may have missed a notice: subscribers start afresh.
      for (const topic of this.handlers.keys()) this.emitLocal(topic, undefined);
    } catch (err) {
      await client.end().catch(() => undefined);
      this.logger.warn({ err }, 'change listener could not connect; retrying');
      this.scheduleRetry();
    }
  }

  private onNotification(payload: string | undefined): void {
    this.received++;
    try {
      const { topic, id } = JSON.parse(payload ?? '') as { topic?: unknown; id?: unknown };
      if (typeof topic === 'string' && typeof id === 'string') this.emitLocal(topic, id);
    } catch {
      /* not ours */
    }
  }

  private onLost(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (this.closed) return;
    this.logger.warn('change listener connection lost: dropping cached state and reconnecting');
    // Notices sent while nobody listened are lost: every subscriber must forget what it cached.
    for (const topic of this.handlers.keys()) this.emitLocal(topic, undefined);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    this.retryTimer = setTimeout(() => void this.listen(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
  }
}
