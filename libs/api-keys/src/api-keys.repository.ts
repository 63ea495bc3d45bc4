import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { applyKeyset, KeysetPosition, returnedRows } from '@app/core';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { ApiKey, ApiKeyStatus } from './entities/api-key.entity';

/** A key with what its owner may do now: one row for a cache miss on the hot path. */
export interface KeyWithOwner {
  key: ApiKey;
  ownerRole: 'user' | 'admin';
  ownerScopes: string[];
  ownerDisabled: boolean;
  /** The owner's email address is verified now (the key acts for the owner as the owner is). */
  ownerEmailVerified: boolean;
}

export interface UsageFlushRow {
  keyId: string;
  total: number;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
  lastUsedIpReportedBy: string | null;
}

export interface DailyCountRow {
  keyId: string;
  day: string;
  outcome: string;
  count: number;
}

export type ListSort =
  'createdAt' | '-createdAt' | 'expiresAt' | '-expiresAt' | 'lastUsedAt' | '-lastUsedAt' | 'name' | '-name';

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(fn);
  }

  /** Serialises key creation per owner, so parallel creations cannot pass the per-user limit together. */
  async lockOwner(em: EntityManager, ownerId: string): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtextextended('api-keys:' || $1, 0))`, [ownerId]);
  }

  /**
   * The owner's keys usable at `now`: active or in a grace period, and neither past their expiry nor past their grace
   * (the expiry job marks them later; until then they must not count toward the limit).
   */
  countLive(em: EntityManager, ownerId: string, now: Date): Promise<number> {
    return em
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .where(`k.ownerId = :ownerId AND k.status IN ('active', 'rotating')`, { ownerId })
      .andWhere('(k.expiresAt IS NULL OR k.expiresAt > :now)', { now })
      .andWhere(`(k.status <> 'rotating' OR k.graceEndsAt > :now)`, { now })
      .getCount();
  }

  /**
   * The owner's live keys (active or in a rotation grace period), oldest first. With `lock`, row-locked in id order
   * for the rest of the transaction (a bulk revocation; take {@link lockOwner} first, as creation does).
   */
  liveOf(em: EntityManager | undefined, ownerId: string, lock = false): Promise<ApiKey[]> {
    const qb = (em ?? this.dataSource.manager)
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .where(`k.ownerId = :ownerId AND k.status IN ('active', 'rotating')`, { ownerId });
    if (lock) return qb.orderBy('k.id').setLock('pessimistic_write').getMany();
    return qb.orderBy('k.createdAt').addOrderBy('k.id').getMany();
  }

  async insert(em: EntityManager, key: Partial<ApiKey>): Promise<ApiKey> {
    const repo = em.getRepository(ApiKey);
    return repo.save(repo.create(key));
  }

  findById(id: string, em: EntityManager = this.dataSource.manager): Promise<ApiKey | null> {
    return em.getRepository(ApiKey).findOneBy({ id });
  }

  /** The row locked for the rest of the transaction (rotation, revocation, changes). */
  findForUpdate(em: EntityManager, id: string): Promise<ApiKey | null> {
    return em
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .setLock('pessimistic_write')
      .where('k.id = :id', { id })
      .getOne();
  }

  async update(em: EntityManager, id: string, changes: QueryDeepPartialEntity<ApiKey>): Promise<void> {
    await em.getRepository(ApiKey).update({ id }, changes);
  }

  /**
   * The key by its public id, with its owner's role, scopes and state. The join reads the auth context's users table
   * (the one place outside libs/auth that does): the hot path's cache miss stays one round trip.
   */
  async findByKeyIdWithOwner(keyId: string): Promise<KeyWithOwner | undefined> {
    const key = await this.dataSource
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .innerJoin('users', 'u', 'u.id = k.owner_id')
      .addSelect([
        'u.role AS owner_role',
        'u.scopes AS owner_scopes',
        'u.disabled_at AS owner_disabled_at',
        'u.email_verified_at AS owner_email_verified_at',
      ])
      .where('k.key_id = :keyId', { keyId })
      .getRawAndEntities();
    const entity = key.entities[0];
    const raw = key.raw[0] as
      | {
          owner_role: 'user' | 'admin';
          owner_scopes: string[];
          owner_disabled_at: Date | null;
          owner_email_verified_at: Date | null;
        }
      | undefined;
    if (!entity || !raw) return undefined;
    return {
      key: entity,
      ownerRole: raw.owner_role,
      ownerScopes: raw.owner_scopes,
      ownerDisabled: raw.owner_disabled_at !== null,
      ownerEmailVerified: raw.owner_email_verified_at !== null,
    };
  }

  /** Compare-and-set, so a re-hash never overwrites a hash changed meanwhile. */
  async replaceHash(id: string, oldHash: string, newHash: string): Promise<void> {
    await this.dataSource.query('UPDATE api_keys SET hash = $3 WHERE id = $1 AND hash = $2', [id, oldHash, newHash]);
  }

  /**
   * Spends `cost` units of quota in one statement, refilling first when the refill period has turned (UTC). A use is
   * allowed when at least `cost` units, and at least one, are left: `cost` 0 checks without spending (and without
   * writing). Answers what is left (after spending, or as it stands when refused). Row locks make parallel requests
   * serve exactly the quota.
   */
  async consumeQuota(id: string, now: Date, cost = 1): Promise<{ allowed: boolean; remaining: number }> {
    // No CTE: a waiting UPDATE re-evaluates SET and WHERE against the row version it locks, so parallel requests
    // at the turn of a period refill once (a CTE's value would be frozen in its earlier snapshot).
    const due = `(quota_refill_amount IS NOT NULL AND (quota_refilled_at IS NULL OR quota_refilled_at < date_trunc(quota_refill_interval, $2::timestamptz, 'UTC')))`;
    const available = `CASE WHEN ${due} THEN quota_refill_amount ELSE quota_remaining END`;
    if (cost > 0) {
      // sql-safe: `due` and `available` are the constant SQL fragments above; the values are bind parameters.
      const result: unknown = await this.dataSource.query(
        `UPDATE api_keys SET
           quota_remaining = ${available} - $3,
           quota_refilled_at = CASE WHEN ${due} THEN $2::timestamptz ELSE quota_refilled_at END
         WHERE id = $1 AND quota_remaining IS NOT NULL AND ${available} >= $3
         RETURNING quota_remaining`,
        [id, now, cost],
      );
      const row = returnedRows<{ quota_remaining: number }>(result)[0];
      if (row) return { allowed: true, remaining: row.quota_remaining };
    }
    // sql-safe: as above.
    const rows: { available: number | null }[] = await this.dataSource.query(
      `SELECT ${available} AS available FROM api_keys WHERE id = $1`,
      [id, now],
    );
    const left = Math.max(0, rows[0]?.available ?? 0);
    return { allowed: cost === 0 && left > 0, remaining: left };
  }

  /**
   * A page of keys in (sort column, id) order after `after`. `q` matches the name (case-insensitive, anywhere) or the
   * start of the public prefix (`sk_live_VVKj…`); its LIKE wildcards are escaped, so they match only themselves.
   */
  list(
    filter: { ownerId?: string; status?: ApiKeyStatus; q?: string },
    sort: ListSort,
    limit: number,
    after?: KeysetPosition,
  ): Promise<ApiKey[]> {
    const column = { createdAt: 'k.createdAt', expiresAt: 'k.expiresAt', lastUsedAt: 'k.lastUsedAt', name: 'k.name' }[
      sort.replace(/^-/, '') as 'name'
    ];
    const qb = this.dataSource.getRepository(ApiKey).createQueryBuilder('k');
    if (filter.ownerId) qb.andWhere('k.ownerId = :ownerId', { ownerId: filter.ownerId });
    if (filter.status) qb.andWhere('k.status = :status', { status: filter.status });
    if (filter.q) {
      const escaped = filter.q.replace(/[\\%_]/g, (c) => `\\${c}`);
      qb.andWhere(
        `(k.name ILIKE :qAnywhere ESCAPE '\\' OR ('sk_' || k.environment || '_' || k.keyId) LIKE :qPrefix ESCAPE '\\')`,
        { qAnywhere: `%${escaped}%`, qPrefix: `${escaped}%` },
      );
    }
    return applyKeyset(qb, { column, idColumn: 'k.id', desc: sort.startsWith('-') }, after)
      .limit(limit)
      .getMany();
  }

  /** Adds a batch of usage in one transaction: day/outcome counts and per-key totals (never a write per request). */
  async addUsage(totals: UsageFlushRow[], daily: DailyCountRow[]): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      if (daily.length) {
        await em.query(
          // Keys deleted since (an erased account) are skipped, not allowed to fail everyone's batch. FOR KEY SHARE waits
          // for a deletion in progress and then sees the key gone; without it the existence check passes, the foreign
          // key check fails once the deletion commits, and the whole batch is lost.
          `INSERT INTO api_key_usage_daily (key_id, day, outcome, count)
           SELECT v.* FROM unnest($1::uuid[], $2::date[], $3::varchar[], $4::bigint[]) AS v(key_id, day, outcome, count)
           WHERE EXISTS (SELECT 1 FROM api_keys k WHERE k.id = v.key_id FOR KEY SHARE)
           ON CONFLICT (key_id, day, outcome) DO UPDATE SET count = api_key_usage_daily.count + EXCLUDED.count`,
          [daily.map((d) => d.keyId), daily.map((d) => d.day), daily.map((d) => d.outcome), daily.map((d) => d.count)],
        );
      }
      if (totals.length) {
        await em.query(
          `UPDATE api_keys k SET
             total_requests = k.total_requests + v.n,
             last_used_at = CASE WHEN v.at IS NOT NULL AND (k.last_used_at IS NULL OR v.at > k.last_used_at) THEN v.at ELSE k.last_used_at END,
             last_used_ip = CASE WHEN v.at IS NOT NULL AND (k.last_used_at IS NULL OR v.at > k.last_used_at) THEN v.ip ELSE k.last_used_ip END,
             last_used_ip_reported_by = CASE WHEN v.at IS NOT NULL AND (k.last_used_at IS NULL OR v.at > k.last_used_at) THEN v.by ELSE k.last_used_ip_reported_by END
           FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::varchar[], $5::varchar[]) AS v(id, n, at, ip, by)
           WHERE k.id = v.id`,
          [
            totals.map((t) => t.keyId),
            totals.map((t) => t.total),
            totals.map((t) => t.lastUsedAt),
            totals.map((t) => t.lastUsedIp),
            totals.map((t) => t.lastUsedIpReportedBy),
          ],
        );
      }
    });
  }

  /**
   * Records networks and answers the ones worth telling the owner about: every new network of a key, except the
   * very first one it was ever used from (the baseline). Per-key locks (taken in key order, so never a deadlock)
   * make instances flushing the same key at once agree on which network came first.
   */
  async addNetworks(
    em: EntityManager,
    seen: { keyId: string; network: string; at: Date }[],
  ): Promise<{ keyId: string; network: string }[]> {
    if (!seen.length) return [];
    const keys = [...new Set(seen.map((s) => s.keyId))].sort();
    for (const k of keys)
      await em.query(`SELECT pg_advisory_xact_lock(hashtextextended('api-key-networks:' || $1, 0))`, [k]);
    const before: { key_id: string; n: number }[] = await em.query(
      'SELECT key_id, count(*)::int AS n FROM api_key_networks WHERE key_id = ANY($1::uuid[]) GROUP BY key_id',
      [keys],
    );
    const known = new Map(before.map((r) => [r.key_id, r.n]));
    const ordered = [...seen].sort((a, b) => a.at.getTime() - b.at.getTime());
    const inserted: { key_id: string; network: string }[] = await em.query(
      `INSERT INTO api_key_networks (key_id, network, first_seen_at)
       SELECT v.* FROM unnest($1::uuid[], $2::varchar[], $3::timestamptz[]) AS v(key_id, network, first_seen_at)
       WHERE EXISTS (SELECT 1 FROM api_keys k WHERE k.id = v.key_id FOR KEY SHARE)
       ON CONFLICT DO NOTHING
       RETURNING key_id, network`,
      [ordered.map((s) => s.keyId), ordered.map((s) => s.network), ordered.map((s) => s.at)],
    );
    const fresh = new Set(inserted.map((r) => `${r.key_id}|${r.network}`));
    const notify: { keyId: string; network: string }[] = [];
    const baselineTaken = new Set([...known.keys()]);
    for (const s of ordered) {
      if (!fresh.has(`${s.keyId}|${s.network}`)) continue;
      fresh.delete(`${s.keyId}|${s.network}`); // the same network twice in one batch counts once
      if (!baselineTaken.has(s.keyId)) {
        baselineTaken.add(s.keyId); // the key's first network ever: recorded, not notified
        continue;
      }
      notify.push({ keyId: s.keyId, network: s.network });
    }
    return notify;
  }

  dailyCounts(keyId: string, since: string): Promise<{ day: string; outcome: string; count: string }[]> {
    return this.dataSource.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, outcome, count::text AS count FROM api_key_usage_daily WHERE key_id = $1 AND day >= $2::date ORDER BY day, outcome`,
      [keyId, since],
    );
  }

  /** Keys due for a job, locked (SKIP LOCKED: several instances may run the jobs at once without doubling work). */
  due(
    em: EntityManager,
    kind: 'expire' | 'grace-end' | 'expiry-warning',
    now: Date,
    warnBefore?: Date,
    limit = 500,
  ): Promise<ApiKey[]> {
    const qb = em.getRepository(ApiKey).createQueryBuilder('k');
    if (kind === 'expire') qb.where(`k.status IN ('active', 'rotating') AND k.expiresAt <= :now`, { now });
    else if (kind === 'grace-end') qb.where(`k.status = 'rotating' AND k.graceEndsAt <= :now`, { now });
    else
      qb.where(
        `k.status = 'active' AND k.expiryWarnedAt IS NULL AND k.expiresAt > :now AND k.expiresAt <= :warnBefore`,
        { now, warnBefore },
      );
    return qb.orderBy('k.id').setLock('pessimistic_write').setOnLocked('skip_locked').limit(limit).getMany();
  }

  hygiene(now: Date, unusedSince: Date, expiringBefore: Date): Promise<ApiKey[]> {
    return this.dataSource
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .where(`k.status IN ('active', 'rotating')`)
      .andWhere(
        `(k.expiresAt IS NULL OR k.status = 'rotating' OR :admin = ANY(k.scopes) OR k.expiresAt < :expiringBefore
          OR COALESCE(k.lastUsedAt, k.createdAt) < :unusedSince)`,
        { admin: 'admin:all', expiringBefore, unusedSince },
      )
      .orderBy('k.createdAt', 'ASC')
      .limit(1000)
      .getMany();
  }
}
