import { AccessRules, AppConfig, ChangeFeed, loadConfig, MetricsService, StepUpWindow, SystemClock } from '@app/core';
import type { RateLimiter } from '@app/core';
import { randomBytes } from 'node:crypto';
import type { ApiKeysRepository, KeyWithOwner } from './api-keys.repository';
import type { DenialAuditor } from './denial-auditor';
import type { ApiKey } from './entities/api-key.entity';
import { KeyCache } from './key-cache';
import { generateKey } from './key-format';
import type { KeyHasher } from './key-hasher';
import { KeyVerifier } from './key-verifier';
import type { UsageRecorder } from './usage/usage-recorder';

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function row(status: ApiKey['status']): KeyWithOwner {
  const key = {
    id: 'k1',
    keyId: 'x',
    ownerId: 'o1',
    environment: 'live',
    hash: 'h',
    scopes: ['profiles:read'],
    ipAllowlist: [],
    rateLimit: null,
    rateWindowSeconds: null,
    quotaRemaining: null,
    status,
    expiresAt: null,
    graceEndsAt: null,
    rotatedTo: null,
  } as unknown as ApiKey;
  return { key, ownerRole: 'user', ownerScopes: ['profiles:read'], ownerDisabled: false, ownerEmailVerified: true };
}

describe('KeyVerifier lookups and invalidation', () => {
  const config: AppConfig = loadConfig({});
  const feed = { listening: true } as unknown as ChangeFeed;
  const lookups: ReturnType<typeof deferred<KeyWithOwner | undefined>>[] = [];
  const repo = {
    findByKeyIdWithOwner: () => {
      const d = deferred<KeyWithOwner | undefined>();
      lookups.push(d);
      return d.promise;
    },
  } as unknown as ApiKeysRepository;
  const hasher = {
    verify: async () => ({ ok: true, needsRehash: false }),
    spendDummy: async () => undefined,
  } as unknown as KeyHasher;
  const usage = { record: () => undefined } as unknown as UsageRecorder;
  const denials = { note: () => undefined } as unknown as DenialAuditor;

  it('a request arriving after an invalidation does not join a lookup that started before it', async () => {
    const cache = new KeyCache(config, feed);
    const verifier = new KeyVerifier(
      repo,
      cache,
      hasher,
      {} as RateLimiter,
      usage,
      denials,
      new SystemClock(),
      new MetricsService(),
      new StepUpWindow(new SystemClock(), config),
    );
    const { key } = generateKey('live', randomBytes);
    const first = verifier.verify(key, '127.0.0.1'); // miss: lookup 1 reads the row while it is still active
    cache.invalidateKey('k1'); // the key is revoked and its change announced while lookup 1 is in flight
    const second = verifier.verify(key, '127.0.0.1'); // must look again, not join lookup 1
    expect(lookups).toHaveLength(2);
    lookups[0].resolve(row('active'));
    lookups[1].resolve(row('revoked'));
    expect((await first).code).toBe('VALID'); // it started before the revocation
    expect((await second).code).toBe('REVOKED');
    expect((await verifier.verify(key, '127.0.0.1')).code).toBe('REVOKED'); // and the stale result was not cached
    expect(lookups).toHaveLength(2);
  });

  it('caches nothing while the change feed is not listening (another instance’s revocation would go unseen)', async () => {
    const deaf = { listening: false } as unknown as ChangeFeed;
    const cache = new KeyCache(config, deaf);
    const verifier = new KeyVerifier(
      repo,
      cache,
      hasher,
      {} as RateLimiter,
      usage,
      denials,
      new SystemClock(),
      new MetricsService(),
      new StepUpWindow(new SystemClock(), config),
    );
    const { key } = generateKey('live', randomBytes);
    lookups.length = 0;
    const a = verifier.verify(key, undefined);
    lookups[0].resolve(row('active'));
    expect((await a).code).toBe('VALID');
    const b = verifier.verify(key, undefined);
    expect(lookups).toHaveLength(2);
    lookups[1].resolve(row('active'));
    await b;
  });
});

describe('KeyVerifier and the route rule', () => {
  const config: AppConfig = loadConfig({});
  const feed = { listening: true } as unknown as ChangeFeed;

  /** A key holding profiles:read, with a rate limit and a quota, found at once; counts what the limits spent. */
  function limitedKey() {
    const spent = { rateLimit: 0, quota: 0 };
    const found = row('active');
    Object.assign(found.key, { rateLimit: 10, rateWindowSeconds: 60, quotaRemaining: 5 });
    const repo = {
      findByKeyIdWithOwner: async () => found,
      consumeQuota: async () => ({ allowed: true, remaining: 4 - spent.quota++ }),
    } as unknown as ApiKeysRepository;
    const limiter = {
      hit: async (_b: string, limit: number) => {
        spent.rateLimit++;
        return { allowed: true, limit, remaining: limit - 1, resetMs: 6000, retryAfterMs: 0 };
      },
    } as unknown as RateLimiter;
    const verifier = new KeyVerifier(
      repo,
      new KeyCache(config, feed),
      { verify: async () => ({ ok: true, needsRehash: false }) } as unknown as KeyHasher,
      limiter,
      { record: () => undefined } as unknown as UsageRecorder,
      { note: () => undefined } as unknown as DenialAuditor,
      new SystemClock(),
      new MetricsService(),
      new StepUpWindow(new SystemClock(), config),
    );
    return { verifier, spent, key: generateKey('live', randomBytes).key };
  }

  it('a key the rule refuses for its scopes is refused before it spends rate limit or quota', async () => {
    const { verifier, spent, key } = limitedKey();
    const refused = await verifier.verify(key, undefined, AccessRules.principal(['profiles:read', 'audit:read']));
    expect(refused).toMatchObject({
      code: 'INSUFFICIENT_SCOPES',
      denial: { required: ['profiles:read', 'audit:read'], missing: ['audit:read'] },
    });
    expect(spent).toEqual({ rateLimit: 0, quota: 0 });
    const admitted = await verifier.verify(key, undefined, AccessRules.principal(['profiles:read']));
    expect(admitted).toMatchObject({ code: 'VALID', quotaRemaining: 4 });
    expect(spent).toEqual({ rateLimit: 1, quota: 1 });
  });
});
