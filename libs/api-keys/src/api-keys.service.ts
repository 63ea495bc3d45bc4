import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit';
import { AuthService, SessionsService } from '@app/auth';
import { RandomSource } from '@app/crypto';
import {
  AccessRules,
  ADMIN_SCOPE,
  AppConfig,
  ChangeFeed,
  Clock,
  CursorCodec,
  sortValue,
  holdsScope,
  holdsSensitiveScope,
  Page,
  Principal,
  StepUpWindow,
  RevokeAllReason,
  StandingCredential,
} from '@app/core';
import { NotificationsService } from '@app/notifications';
import type { EntityManager } from 'typeorm';
import { ApiKeyErrorCode, ApiKeyException } from './api-key-error-codes';
import { apiKeyView, ApiKeyView, CreatedApiKeyView, RotatedApiKeyView, SHOWN_ONCE } from './api-key.view';
import { apiKeyMails, MailText, Minted } from './api-keys.mails';
import { ApiKeysRepository, ListSort } from './api-keys.repository';
import { CreateApiKeyDto, ListApiKeysQueryDto, QuotaDto, RateLimitDto, UpdateApiKeyDto } from './dto/api-key.dto';
import { ApiKey } from './entities/api-key.entity';
import { generateKey, KeyEnvironment } from './key-format';
import { KeyHasher } from './key-hasher';

export const KEY_TOPIC = 'api-key';
const DAY_MS = 86_400_000;

const isAdmin = (p: Principal) => p.scopes.includes(ADMIN_SCOPE);
/**
 * Minting a key that holds a sensitive scope (creating it, or rotating it: the successor is a new secret with the
 * same power) is a sensitive action: a session must have authenticated recently, so an old session cannot launder
 * its missing step-up through a fresh key. Keys never mint keys (every route here is session-only).
 */
const MINT_SENSITIVE = AccessRules.sensitive();

const prefixOf = (k: Pick<ApiKey, 'environment' | 'keyId'>) => `sk_${k.environment}_${k.keyId}`;

/** What a bulk revocation answers: how many keys, and which. */
export interface RevokedAll {
  revoked: number;
  ids: string[];
}

function limitColumns(rateLimit: RateLimitDto | null | undefined): Partial<ApiKey> {
  if (rateLimit === undefined) return {};
  return { rateLimit: rateLimit?.limit ?? null, rateWindowSeconds: rateLimit?.windowSeconds ?? null };
}

/** Setting a quota counts as this period's fill: `remaining` holds until the next day or month turns. */
function quotaColumns(quota: QuotaDto | null | undefined, now: Date): Partial<ApiKey> {
  if (quota === undefined) return {};
  return {
    quotaRemaining: quota?.remaining ?? null,
    quotaRefillAmount: quota?.refill?.amount ?? null,
    quotaRefillInterval: quota?.refill?.interval ?? null,
    quotaRefilledAt: quota?.refill ? now : null,
  };
}

/**
 * Managing keys: create (shown once), list, change (scopes only narrowed), rotate with a grace period, revoke.
 * A non-admin only ever sees its own keys (another user's id answers 404); `admin:all` manages anyone's.
 * Every change is audited in its transaction and invalidates verification caches on all instances.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly repo: ApiKeysRepository,
    private readonly hasher: KeyHasher,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
    private readonly users: AuthService,
    private readonly sessions: SessionsService,
    private readonly changes: ChangeFeed,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly config: AppConfig,
    private readonly stepUp: StepUpWindow,
    private readonly cursors: CursorCodec,
  ) {}

  /**
   * `ip` is the creating client's (trusted) address, for the owner's notice; `by` overrides who the notice says
   * created it (the admin CLI issues keys as their owner).
   */
  async create(
    principal: Principal,
    dto: CreateApiKeyDto,
    ip: string | null = null,
    by?: Minted['by'],
  ): Promise<CreatedApiKeyView> {
    const notHeld = dto.scopes.filter((s) => !holdsScope(principal.scopes, s));
    if (notHeld.length)
      throw new ApiKeyException(ApiKeyErrorCode.SCOPE_NOT_HELD, `You do not hold: ${notHeld.join(', ')}`, {
        scopes: notHeld,
      });
    if (holdsSensitiveScope(dto.scopes)) this.stepUp.assert(principal, MINT_SENSITIVE);
    const environment: KeyEnvironment = dto.environment ?? 'live';
    const { key, keyId } = generateKey(environment, (n) => this.random.bytes(n));
    const hash = await this.hasher.hash(key);
    const now = this.clock.now();
    const row = await this.repo.transaction(async (em) => {
      await this.repo.lockOwner(em, principal.userId);
      // A reset holds this lock while it ends the sessions: a creation let in before it must not mint a key after.
      if (principal.sessionId) await this.sessions.assertNotRevoked(principal.sessionId, em);
      const live = await this.repo.countLive(em, principal.userId, now);
      const max = this.config.env.API_KEY_MAX_PER_USER;
      if (live >= max)
        throw new ApiKeyException(
          ApiKeyErrorCode.KEY_LIMIT_REACHED,
          `You already hold ${live} active keys (at most ${max}); revoke one first.`,
        );
      const created = await this.repo.insert(em, {
        keyId,
        ownerId: principal.userId,
        name: dto.name,
        environment,
        hash,
        scopes: [...dto.scopes].sort(),
        ipAllowlist: dto.ipAllowlist ?? [],
        ...limitColumns(dto.rateLimit),
        ...quotaColumns(dto.quota, now),
        status: 'active',
        createdAt: now,
        updatedAt: now,
        expiresAt: new Date(now.getTime() + (dto.expiresInDays ?? 90) * DAY_MS),
        totalRequests: 0,
      });
      await this.record(em, principal, 'api_key.create', created, {
        scopes: created.scopes,
        environment,
        expiresAt: created.expiresAt,
      });
      // Every creation tells the owner (name, prefix, scopes, who, from where), in the creation's transaction.
      const origin = by ? { by, ip } : minted(principal, created.ownerId, ip);
      await this.notifyOwner(em, created, 'api_key.created', apiKeyMails.created(created, origin, now), {
        scopes: created.scopes,
        ip,
        createdBy: origin.by,
      });
      return created;
    });
    return { ...apiKeyView(row), key, warning: SHOWN_ONCE };
  }

  async list(principal: Principal, q: ListApiKeysQueryDto): Promise<Page<ApiKeyView>> {
    if (q.ownerId && q.ownerId !== principal.userId && !isAdmin(principal)) return { items: [], nextCursor: null };
    const limit = q.limit ?? 20;
    const sort = (q.sort ?? '-createdAt') as ListSort;
    const filter = { ownerId: q.ownerId ?? principal.userId, status: q.status, q: q.q };
    // The cursor continues this listing only: same owner, filters and sort.
    const context = `api-keys|${sort}|${JSON.stringify([filter.ownerId, filter.status ?? null, filter.q ?? null])}`;
    const rows = await this.repo.list(filter, sort, limit + 1, this.cursors.decode(context, q.cursor));
    const field = sort.replace(/^-/, '') as 'createdAt' | 'expiresAt' | 'lastUsedAt' | 'name';
    return this.cursors.page(context, rows, limit, (k) => ({ value: sortValue(k[field]), id: k.id }), apiKeyView);
  }

  async get(principal: Principal, id: string): Promise<ApiKeyView> {
    return apiKeyView(await this.visible(principal, id));
  }

  async update(principal: Principal, id: string, dto: UpdateApiKeyDto): Promise<ApiKeyView> {
    const updated = await this.repo.transaction(async (em) => {
      const key = await this.visible(principal, id, em);
      if (key.status !== 'active' && key.status !== 'rotating')
        throw new ApiKeyException(ApiKeyErrorCode.API_KEY_NOT_ACTIVE, `The key is ${key.status}.`);
      const widened = (dto.scopes ?? []).filter((s) => !key.scopes.includes(s));
      if (widened.length) {
        throw new ApiKeyException(
          ApiKeyErrorCode.SCOPES_CAN_ONLY_NARROW,
          `Scopes can only be removed; create a new key for: ${widened.join(', ')}`,
          { scopes: widened },
        );
      }
      const changes: Partial<ApiKey> = {
        ...(dto.name !== undefined ? { name: dto.name } : {}),
        ...(dto.scopes ? { scopes: [...dto.scopes].sort() } : {}),
        ...(dto.ipAllowlist ? { ipAllowlist: dto.ipAllowlist } : {}),
        ...limitColumns(dto.rateLimit),
        ...quotaColumns(dto.quota, this.clock.now()),
        updatedAt: this.clock.now(),
      };
      await this.repo.update(em, key.id, changes);
      Object.assign(key, changes);
      await this.record(em, principal, 'api_key.update', key, { changed: Object.keys(dto) });
      await this.changes.publish(em, KEY_TOPIC, key.id);
      return key;
    });
    this.changes.emitLocal(KEY_TOPIC, updated.id);
    return apiKeyView(updated);
  }

  /** A new key with the same settings; the old one keeps working until the grace period ends. */
  async rotate(
    principal: Principal,
    id: string,
    gracePeriodHours = 48,
    ip: string | null = null,
    by?: Minted['by'],
  ): Promise<RotatedApiKeyView> {
    const now = this.clock.now();
    const result = await this.repo.transaction(async (em) => {
      // The owner's lock before the row's, as a bulk revocation takes them: a successor minted meanwhile is never
      // missed by it, and the two never deadlock.
      const owner = (await this.repo.findById(id, em))?.ownerId;
      if (owner) await this.repo.lockOwner(em, owner);
      if (principal.sessionId) await this.sessions.assertNotRevoked(principal.sessionId, em);
      const old = await this.visible(principal, id, em);
      // The row lock makes parallel rotations queue here: the second sees `rotating` and is refused.
      if (old.status !== 'active')
        throw new ApiKeyException(
          ApiKeyErrorCode.API_KEY_NOT_ACTIVE,
          `Only an active key can be rotated; this one is ${old.status}.`,
        );
      if (holdsSensitiveScope(old.scopes)) this.stepUp.assert(principal, MINT_SENSITIVE);
      // During a grace period both keys are live and both count toward the owner's limit.
      if (gracePeriodHours > 0) {
        const live = await this.repo.countLive(em, old.ownerId, this.clock.now());
        const max = this.config.env.API_KEY_MAX_PER_USER;
        if (live >= max) {
          throw new ApiKeyException(
            ApiKeyErrorCode.KEY_LIMIT_REACHED,
            `The owner holds ${live} live keys (at most ${max}): rotate with gracePeriodHours 0, or revoke a key first.`,
          );
        }
      }
      const { key, keyId } = generateKey(old.environment, (n) => this.random.bytes(n));
      const successor = await this.repo.insert(em, {
        ...pick(old),
        keyId,
        hash: await this.hasher.hash(key),
        status: 'active',
        createdAt: now,
        updatedAt: now,
        expiresAt: new Date(
          now.getTime() +
            Math.max(DAY_MS, (old.expiresAt?.getTime() ?? now.getTime() + 90 * DAY_MS) - old.createdAt.getTime()),
        ),
        rotatedFrom: old.id,
        totalRequests: 0,
      });
      const graceEndsAt = new Date(now.getTime() + gracePeriodHours * 3_600_000);
      const retired: Partial<ApiKey> =
        gracePeriodHours > 0
          ? { status: 'rotating', graceEndsAt, rotatedTo: successor.id, updatedAt: now }
          : { status: 'revoked', revokedAt: now, revokedReason: 'rotated', rotatedTo: successor.id, updatedAt: now };
      await this.repo.update(em, old.id, retired);
      Object.assign(old, retired);
      const byOther = old.ownerId !== principal.userId;
      await this.record(em, principal, 'api_key.rotate', old, {
        successor: successor.id,
        graceEndsAt: gracePeriodHours > 0 ? graceEndsAt : null,
        byAdmin: byOther,
      });
      await this.changes.publish(em, KEY_TOPIC, old.id);
      // As with a revocation by someone else: the owner hears of it (the new secret went to the administrator, not here).
      // The owner's own rotation mints a secret too: they get the creation notice, as for any new key.
      if (!byOther) {
        const origin = by ? { by, ip } : minted(principal, old.ownerId, ip);
        await this.notifyOwner(em, successor, 'api_key.created', apiKeyMails.created(successor, origin, now, old), {
          scopes: successor.scopes,
          ip,
          createdBy: origin.by,
          rotatedFrom: old.id,
        });
      } else {
        await this.notifyOwner(
          em,
          old,
          'api_key.rotated_by_admin',
          apiKeyMails.rotatedByAdmin(
            old,
            successor,
            by ? { by, ip } : minted(principal, old.ownerId, ip),
            now,
            gracePeriodHours > 0 ? graceEndsAt : null,
          ),
          {
            successorId: successor.id,
            graceEndsAt: gracePeriodHours > 0 ? graceEndsAt.toISOString() : null,
            scopes: successor.scopes,
            ip,
            createdBy: by ?? { kind: 'admin', userId: principal.userId },
          },
        );
      }
      return { key, successor, old };
    });
    this.changes.emitLocal(KEY_TOPIC, result.old.id);
    return { ...apiKeyView(result.successor), key: result.key, warning: SHOWN_ONCE, previous: apiKeyView(result.old) };
  }

  /** Revoked at once and for good: the row stays as a tombstone, so the same secret never verifies again. */
  async revoke(principal: Principal, id: string): Promise<void> {
    const revoked = await this.repo.transaction(async (em) => {
      const key = await this.visible(principal, id, em);
      if (key.status === 'revoked') return key;
      const now = this.clock.now();
      const byOther = key.ownerId !== principal.userId;
      await this.repo.update(em, key.id, {
        status: 'revoked',
        revokedAt: now,
        revokedReason: byOther ? 'admin' : 'owner',
        updatedAt: now,
      });
      await this.record(em, principal, 'api_key.revoke', key, { byAdmin: byOther });
      await this.changes.publish(em, KEY_TOPIC, key.id);
      if (byOther) await this.notifyOwner(em, key, 'api_key.revoked_by_admin', apiKeyMails.revokedByAdmin(key, now));
      return key;
    });
    this.changes.emitLocal(KEY_TOPIC, revoked.id);
  }

  /** Every live key of the caller, revoked in one transaction (their own keys only, whatever scopes they hold). */
  async revokeAllMine(principal: Principal): Promise<RevokedAll> {
    const revoked = await this.repo.transaction((em) => this.revokeAllOf(em, principal.userId, 'owner'));
    this.dropCached(revoked);
    return { revoked: revoked.length, ids: revoked.map((k) => k.id) };
  }

  /**
   * Revokes every live key of `ownerId` inside `em`: tombstoned with `reason`, each audited, each change published
   * (other instances drop them at commit; the caller runs {@link dropCached} after commit for this one). After a
   * password reset the owner is mailed the list once. The owner lock keeps a creation or rotation from slipping by.
   */
  async revokeAllOf(em: EntityManager, ownerId: string, reason: RevokeAllReason): Promise<ApiKey[]> {
    await this.repo.lockOwner(em, ownerId);
    const live = await this.repo.liveOf(em, ownerId, true);
    const now = this.clock.now();
    const tombstone: Partial<ApiKey> = { status: 'revoked', revokedAt: now, revokedReason: reason, updatedAt: now };
    for (const key of live) {
      await this.repo.update(em, key.id, tombstone);
      Object.assign(key, tombstone);
      await this.audit.record(
        {
          action: 'api_key.revoke',
          outcome: 'success',
          actorType: 'user',
          actorId: ownerId,
          targetType: 'api_key',
          targetId: key.id,
          details: { keyId: key.keyId, reason, bulk: true },
        },
        em,
      );
      await this.changes.publish(em, KEY_TOPIC, key.id);
    }
    if (reason === 'password_reset' && live.length) {
      const owner = await this.users.me(ownerId, em).catch(() => undefined);
      const kind = 'api_key.revoked_on_reset';
      if (owner)
        await this.notifications.enqueueEmail(em, { kind, to: owner.email, ...apiKeyMails.revokedOnReset(live, now) });
      await this.notifications.enqueueWebhook(em, {
        kind,
        data: { ownerId, keys: live.map((k) => ({ keyId: k.id, prefix: prefixOf(k), name: k.name })) },
      });
    }
    return live;
  }

  /** This instance forgets the keys at once (call after the revoking transaction committed). */
  dropCached(keys: Pick<ApiKey, 'id'>[]): void {
    for (const k of keys) this.changes.emitLocal(KEY_TOPIC, k.id);
  }

  /** The owner's live keys as the password change lists them (never a secret). */
  async liveOf(ownerId: string, em?: EntityManager): Promise<StandingCredential[]> {
    const keys = await this.repo.liveOf(em, ownerId);
    return keys.map((k) => ({ id: k.id, name: k.name, prefix: prefixOf(k), scopes: k.scopes }));
  }

  /** Mail to the key's owner and the signed webhook, queued in the caller's transaction. */
  async notifyOwner(
    em: EntityManager,
    key: ApiKey,
    kind: string,
    mail: MailText,
    data: Record<string, unknown> = {},
  ): Promise<void> {
    // Read in the transaction: waiting for a second pooled connection while holding the owner's lock starves the
    // pool when many creations queue on that lock.
    const owner = await this.users.me(key.ownerId, em).catch(() => undefined);
    if (owner) await this.notifications.enqueueEmail(em, { kind, to: owner.email, ...mail });
    await this.notifications.enqueueWebhook(em, {
      kind,
      data: {
        keyId: key.id,
        prefix: prefixOf(key),
        ownerId: key.ownerId,
        name: key.name,
        ...data,
      },
    });
  }

  /** The key if the principal may see it: its own, or anyone's with admin:all. Otherwise 404, never 403. */
  async visible(principal: Principal, id: string, em?: EntityManager): Promise<ApiKey> {
    const key = em ? await this.repo.findForUpdate(em, id) : await this.repo.findById(id);
    if (!key || (key.ownerId !== principal.userId && !isAdmin(principal)))
      throw new ApiKeyException(ApiKeyErrorCode.API_KEY_NOT_FOUND, 'No such API key.');
    return key;
  }

  private record(
    em: EntityManager,
    p: Principal,
    action: string,
    key: ApiKey,
    details: Record<string, unknown>,
  ): Promise<unknown> {
    return this.audit.record(
      {
        action,
        outcome: 'success',
        actorType: p.kind === 'apiKey' ? 'api_key' : 'user',
        actorId: p.userId,
        targetType: 'api_key',
        targetId: key.id,
        details: { keyId: key.keyId, ...details },
      },
      em,
    );
  }
}

/** The owner's own session, or an administrator acting on someone else's key. */
function minted(p: Principal, ownerId: string, ip: string | null): Minted {
  return { by: p.userId === ownerId ? { kind: 'owner' } : { kind: 'admin', userId: p.userId }, ip };
}

/** What a rotated key inherits. */
function pick(k: ApiKey): Partial<ApiKey> {
  return {
    ownerId: k.ownerId,
    name: k.name,
    environment: k.environment,
    scopes: k.scopes,
    ipAllowlist: k.ipAllowlist,
    rateLimit: k.rateLimit,
    rateWindowSeconds: k.rateWindowSeconds,
    quotaRemaining: k.quotaRemaining,
    quotaRefillAmount: k.quotaRefillAmount,
    quotaRefillInterval: k.quotaRefillInterval,
    quotaRefilledAt: k.quotaRefilledAt,
  };
}
