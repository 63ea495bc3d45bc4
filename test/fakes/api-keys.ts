import type { EntityManager } from 'typeorm';
import type {
  ApiKeysRepository,
  DailyCountRow,
  ListSort,
  UsageFlushRow,
} from '../../libs/api-keys/src/api-keys.repository';
import type { ApiKey, ApiKeyStatus } from '../../libs/api-keys/src/entities/api-key.entity';
import { FakeDatabase, TransactionalStore } from './core';
import { compareKeyset, isAfterPosition, KeysetPosition, sortValue } from '@app/core';

const NULLABLE: (keyof ApiKey)[] = [
  'rateLimit',
  'rateWindowSeconds',
  'quotaRemaining',
  'quotaRefillAmount',
  'quotaRefillInterval',
  'quotaRefilledAt',
  'expiresAt',
  'graceEndsAt',
  'revokedAt',
  'revokedReason',
  'rotatedFrom',
  'rotatedTo',
  'lastUsedAt',
  'lastUsedIp',
  'expiryWarnedAt',
];

const copy = (k: ApiKey): ApiKey => structuredClone(k);

/**
 * ApiKeysRepository over a Map: rows are copied in and out (a caller never holds the stored object), a failed
 * transaction of the FakeDatabase restores the rows and networks it started with, writes must go through an open
 * transaction, and usage batches land in per-day counts.
 */
export class FakeApiKeysRepository implements TransactionalStore {
  readonly rows = new Map<string, ApiKey>();
  /** `${keyId}|${day}|${outcome}` → count, as api_key_usage_daily. */
  readonly daily = new Map<string, number>();
  readonly usageBatches: { totals: UsageFlushRow[]; daily: DailyCountRow[] }[] = [];
  /** Set to make the next addUsage calls fail with these errors, in order. */
  usageFailures: Error[] = [];
  lockedOwners: string[] = [];
  /** `${keyId}|${network}` already recorded, as api_key_networks. */
  readonly networks = new Set<string>();
  private nextId = 1;

  constructor(private readonly db: FakeDatabase) {
    db.register(this);
  }

  snapshot(): unknown {
    return { rows: new Map([...this.rows].map(([id, k]) => [id, copy(k)])), networks: new Set(this.networks) };
  }

  restore(state: unknown): void {
    const saved = state as { rows: Map<string, ApiKey>; networks: Set<string> };
    this.rows.clear();
    for (const [id, k] of saved.rows) this.rows.set(id, k);
    this.networks.clear();
    for (const n of saved.networks) this.networks.add(n);
  }

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  async lockOwner(em: EntityManager, ownerId: string): Promise<void> {
    this.db.write(this, em, 'lockOwner');
    this.lockedOwners.push(ownerId);
  }

  async countLive(_em: EntityManager, ownerId: string, now: Date): Promise<number> {
    return [...this.rows.values()].filter(
      (k) =>
        k.ownerId === ownerId &&
        (k.status === 'active' || k.status === 'rotating') &&
        (!k.expiresAt || k.expiresAt > now) &&
        (k.status !== 'rotating' || (k.graceEndsAt !== null && k.graceEndsAt > now)),
    ).length;
  }

  /** The owner's live keys; `lock` (a bulk revocation) must come inside a transaction. */
  async liveOf(em: EntityManager | undefined, ownerId: string, lock = false): Promise<ApiKey[]> {
    if (lock) {
      if (!em) throw new Error('liveOf: row locks need a transaction');
      this.db.assertOpen(em, 'liveOf for update');
    }
    return [...this.rows.values()]
      .filter((k) => k.ownerId === ownerId && (k.status === 'active' || k.status === 'rotating'))
      .sort((a, b) =>
        lock ? (a.id < b.id ? -1 : 1) : a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1),
      )
      .map(copy);
  }

  async insert(em: EntityManager, key: Partial<ApiKey>): Promise<ApiKey> {
    this.db.write(this, em, 'api key insert');
    const row = { id: `00000000-0000-4000-8000-${String(this.nextId++).padStart(12, '0')}` } as ApiKey;
    for (const f of NULLABLE) (row as unknown as Record<string, unknown>)[f] = null;
    Object.assign(row, { totalRequests: 0 }, key);
    this.rows.set(row.id, copy(row));
    return copy(row);
  }

  async findById(id: string): Promise<ApiKey | null> {
    const k = this.rows.get(id);
    return k ? copy(k) : null;
  }

  findForUpdate(_em: EntityManager, id: string): Promise<ApiKey | null> {
    return this.findById(id);
  }

  async update(em: EntityManager, id: string, changes: Partial<ApiKey>): Promise<void> {
    this.db.write(this, em, 'api key update');
    const k = this.rows.get(id);
    if (k) Object.assign(k, structuredClone(changes));
  }

  async list(
    filter: { ownerId?: string; status?: ApiKeyStatus; q?: string },
    sort: ListSort,
    limit: number,
    after?: KeysetPosition,
  ): Promise<ApiKey[]> {
    const field = sort.replace(/^-/, '') as 'createdAt' | 'expiresAt' | 'lastUsedAt' | 'name';
    const desc = sort.startsWith('-');
    const pos = (k: ApiKey): KeysetPosition => ({ value: sortValue(k[field]), id: k.id });
    const q = filter.q?.toLowerCase();
    return [...this.rows.values()]
      .filter(
        (k) => (!filter.ownerId || k.ownerId === filter.ownerId) && (!filter.status || k.status === filter.status),
      )
      .filter((k) => !q || k.name.toLowerCase().includes(q) || `sk_${k.environment}_${k.keyId}`.startsWith(filter.q!))
      .filter((k) => !after || isAfterPosition(pos(k), after, desc))
      .sort((a, b) => compareKeyset(pos(a), pos(b), desc))
      .slice(0, limit)
      .map(copy);
  }

  async addUsage(totals: UsageFlushRow[], daily: DailyCountRow[]): Promise<void> {
    this.db.write(this, undefined, 'addUsage'); // committed at once
    const failure = this.usageFailures.shift();
    if (failure) throw failure;
    this.usageBatches.push({ totals: structuredClone(totals), daily: structuredClone(daily) });
    for (const d of daily) {
      const slot = `${d.keyId}|${d.day}|${d.outcome}`;
      this.daily.set(slot, (this.daily.get(slot) ?? 0) + d.count);
    }
    for (const t of totals) {
      const k = this.rows.get(t.keyId);
      if (!k) continue;
      k.totalRequests += t.total;
      if (t.lastUsedAt && (!k.lastUsedAt || t.lastUsedAt > k.lastUsedAt)) {
        k.lastUsedAt = t.lastUsedAt;
        k.lastUsedIp = t.lastUsedIp;
      }
    }
  }

  async dailyCounts(keyId: string, since: string): Promise<{ day: string; outcome: string; count: string }[]> {
    return [...this.daily]
      .map(([slot, n]) => {
        const [id, day, outcome] = slot.split('|');
        return { id, day, outcome, count: String(n) };
      })
      .filter((r) => r.id === keyId && r.day >= since)
      .sort((a, b) => (a.day + a.outcome < b.day + b.outcome ? -1 : 1))
      .map(({ day, outcome, count }) => ({ day, outcome, count }));
  }

  /** Every live key: the SQL pre-filter is the repository's business; the service sorts them into the report. */
  async hygiene(): Promise<ApiKey[]> {
    return [...this.rows.values()].filter((k) => k.status === 'active' || k.status === 'rotating').map(copy);
  }

  /** Keys due for a job, as the repository's query selects them (without the row locks). */
  async due(
    _em: EntityManager,
    kind: 'expire' | 'grace-end' | 'expiry-warning',
    now: Date,
    warnBefore?: Date,
  ): Promise<ApiKey[]> {
    const t = now.getTime();
    return [...this.rows.values()]
      .filter((k) =>
        kind === 'expire'
          ? (k.status === 'active' || k.status === 'rotating') && !!k.expiresAt && k.expiresAt.getTime() <= t
          : kind === 'grace-end'
            ? k.status === 'rotating' && !!k.graceEndsAt && k.graceEndsAt.getTime() <= t
            : k.status === 'active' &&
              !k.expiryWarnedAt &&
              !!k.expiresAt &&
              k.expiresAt.getTime() > t &&
              k.expiresAt.getTime() <= warnBefore!.getTime(),
      )
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map(copy);
  }

  /** Records networks; answers the new ones except each key's very first (its baseline), as the repository does. */
  async addNetworks(
    em: EntityManager,
    seen: { keyId: string; network: string; at: Date }[],
  ): Promise<{ keyId: string; network: string }[]> {
    this.db.write(this, em, 'addNetworks');
    const notify: { keyId: string; network: string }[] = [];
    for (const s of [...seen].sort((a, b) => a.at.getTime() - b.at.getTime())) {
      if (!this.rows.has(s.keyId) || this.networks.has(`${s.keyId}|${s.network}`)) continue;
      const baseline = ![...this.networks].some((n) => n.startsWith(`${s.keyId}|`));
      this.networks.add(`${s.keyId}|${s.network}`);
      if (!baseline) notify.push({ keyId: s.keyId, network: s.network });
    }
    return notify;
  }

  /** A stored row for a test to read or change directly. */
  stored(id: string): ApiKey {
    const k = this.rows.get(id);
    if (!k) throw new Error(`no key ${id}`);
    return k;
  }

  asRepository(): ApiKeysRepository {
    return this as unknown as ApiKeysRepository;
  }
}
