import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { isIP } from 'node:net';
import { AppConfig, Clock, isDatabaseUnavailable } from '@app/core';
import { ApiKeysRepository, DailyCountRow, UsageFlushRow } from '../api-keys.repository';
import { networkOf } from './network';

interface Pending {
  total: number;
  /** Epoch ms of the last successful use (a number: no allocation per request). */
  lastUsedAt: number | null;
  lastUsedIp: string | null;
  /** Who reported lastUsedIp when another service did (`key:<id>` / `user:<id>`); null when this service saw it. */
  lastUsedIpReportedBy: string | null;
  daily: Map<string, number>;
}

export interface SeenNetwork {
  keyId: string;
  network: string;
  at: Date;
}

/** Receives networks first seen by this instance since the last flush (to record and notify in one transaction). */
export type NetworkSink = (seen: SeenNetwork[]) => Promise<void>;

/**
 * Key usage aggregated in memory and written in batches (every `USAGE_FLUSH_INTERVAL_MS`, and on shutdown): no
 * database write per request. A failed flush puts its counts back, so nothing is lost while the database is away.
 */
@Injectable()
export class UsageRecorder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('KeyUsage');
  private pending = new Map<string, Pending>();
  private networks: SeenNetwork[] = [];
  /** Networks this instance already reported per key (bounded), so a busy key does not re-send them each flush. */
  private readonly knownNetworks = new Map<string, Set<string>>();
  /** The last address seen per key: a busy client repeats it, so the network is worked out only on a change. */
  private readonly lastIp = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private sink?: NetworkSink;
  /** The UTC day of the last use, recomputed only when a use falls outside it. */
  private day = { start: 0, end: 0, label: '', buckets: new Map<string, string>() };
  flushes = 0;
  /** Uses whose counts were dropped because their batch could not be written (never expected; logged). */
  dropped = 0;

  constructor(
    private readonly repo: ApiKeysRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  onNetworks(sink: NetworkSink): void {
    this.sink = sink;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), this.config.env.USAGE_FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  /** Last flush after the HTTP server stopped taking requests, before the database connection closes. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /**
   * Counts one use of a key. `success` uses also set last-used and feed the network tracking. An address another
   * service reported (`reportedBy`, POST /v1/keys/verify) is kept as reported by it and never feeds the network
   * tracking: a verifier's word is no sighting of ours, and must not mail the owner about a "new network".
   */
  record(keyId: string, outcome: string, ip: string | undefined, reportedBy?: string): void {
    const nowMs = this.clock.nowMs();
    let p = this.pending.get(keyId);
    if (!p)
      this.pending.set(
        keyId,
        (p = { total: 0, lastUsedAt: null, lastUsedIp: null, lastUsedIpReportedBy: null, daily: new Map() }),
      );
    p.total++;
    const bucket = this.bucketOf(nowMs, outcome);
    p.daily.set(bucket, (p.daily.get(bucket) ?? 0) + 1);
    if (outcome !== 'VALID') return;
    p.lastUsedAt = nowMs;
    if (reportedBy !== undefined) {
      p.lastUsedIp = ip !== undefined && ip.length <= 45 && isIP(ip) !== 0 ? ip : null;
      p.lastUsedIpReportedBy = p.lastUsedIp ? reportedBy : null;
      return;
    }
    p.lastUsedIpReportedBy = null;
    // A busy client repeats its address: that one was checked already. Only a real address is kept (a trusted proxy
    // could still forward anything in X-Forwarded-For).
    const known = ip !== undefined && this.lastIp.get(keyId) === ip;
    p.lastUsedIp = ip !== undefined && (known || (ip.length <= 45 && isIP(ip) !== 0)) ? ip : null;
    const address = p.lastUsedIp;
    if (!address || known) return;
    if (this.lastIp.size >= 50_000) this.lastIp.clear();
    this.lastIp.set(keyId, address);
    const network = networkOf(address);
    if (!network) return;
    let networks = this.knownNetworks.get(keyId);
    if (!networks) {
      if (this.knownNetworks.size >= 50_000) this.knownNetworks.clear();
      this.knownNetworks.set(keyId, (networks = new Set()));
    }
    if (networks.has(network) || networks.size >= 64) return;
    networks.add(network);
    this.networks.push({ keyId, network, at: new Date(nowMs) });
  }

  /** `YYYY-MM-DD|OUTCOME`, built once per day and outcome (no string work per request). */
  private bucketOf(ms: number, outcome: string): string {
    if (ms < this.day.start || ms >= this.day.end) {
      const start = ms - (ms % 86_400_000);
      this.day = {
        start,
        end: start + 86_400_000,
        label: new Date(start).toISOString().slice(0, 10),
        buckets: new Map(),
      };
    }
    let bucket = this.day.buckets.get(outcome);
    if (!bucket) this.day.buckets.set(outcome, (bucket = `${this.day.label}|${outcome}`));
    return bucket;
  }

  /**
   * Writes everything recorded before the call. A flush already running took its batch earlier, so this waits for
   * it and then writes what came after (joining it would miss the newest counts).
   */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.flushing = this.write().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (!this.pending.size && !this.networks.length) return;
    const batch = this.pending;
    const networks = this.networks;
    this.pending = new Map();
    this.networks = [];
    const totals: UsageFlushRow[] = [];
    const daily: DailyCountRow[] = [];
    for (const [keyId, p] of batch) {
      totals.push({
        keyId,
        total: p.total,
        lastUsedAt: p.lastUsedAt === null ? null : new Date(p.lastUsedAt),
        lastUsedIp: p.lastUsedIp,
        lastUsedIpReportedBy: p.lastUsedIpReportedBy,
      });
      for (const [bucket, count] of p.daily) {
        const [day, outcome] = bucket.split('|');
        daily.push({ keyId, day, outcome, count });
      }
    }
    try {
      await this.repo.addUsage(totals, daily);
      this.flushes++;
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        // The database is away: keep the counts for the next flush.
        this.restore(batch);
        this.networks.unshift(...networks);
        return;
      }
      // Anything else would fail the same way every second and block all later counts: drop this batch, loudly.
      this.dropped += totals.reduce((n, t) => n + t.total, 0);
      this.logger.error(
        { err, keys: totals.length, uses: totals.reduce((n, t) => n + t.total, 0) },
        'usage flush failed; batch dropped',
      );
      return;
    }
    if (networks.length && this.sink) {
      try {
        await this.sink(networks);
      } catch (err) {
        for (const n of networks) this.knownNetworks.get(n.keyId)?.delete(n.network); // seen again later, retried then
        if (!isDatabaseUnavailable(err)) this.logger.error({ err }, 'recording new networks failed');
      }
    }
  }

  private restore(batch: Map<string, Pending>): void {
    for (const [keyId, old] of batch) {
      const now = this.pending.get(keyId);
      if (!now) {
        this.pending.set(keyId, old);
        continue;
      }
      now.total += old.total;
      for (const [b, n] of old.daily) now.daily.set(b, (now.daily.get(b) ?? 0) + n);
      if (!now.lastUsedAt) {
        now.lastUsedAt = old.lastUsedAt;
        now.lastUsedIp = old.lastUsedIp;
        now.lastUsedIpReportedBy = old.lastUsedIpReportedBy;
      }
    }
  }
}
