import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AppConfig, ChangeFeed, Clock, CursorCodec, loadConfig } from '@app/core';
import { CryptoService, Keyring, NoopEncryptionCounter, RandomSource } from '@app/crypto';

/**
 * Fakes of the core seams for the unit tier: a clock that only moves when told, a deterministic source of
 * randomness, the real configuration with cheap hashing, an in-memory "database" whose transactions commit or
 * roll back what they wrote to the fake stores registered with it, and the change feed. No SQL runs here: a service that reaches for
 * `em.query` fails loudly.
 */

/** Stands still at a fixed instant until a test moves or sets it (deterministic day boundaries, expiries, windows). */
export class ManualClock extends Clock {
  private ms: number;

  constructor(start: Date | string = '2026-03-01T12:00:00.000Z') {
    super();
    this.ms = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  set(at: Date | string): void {
    this.ms = new Date(at).getTime();
  }

  advance(ms: number): void {
    this.ms += ms;
  }

  advanceMinutes(minutes: number): void {
    this.advance(minutes * 60_000);
  }

  advanceHours(hours: number): void {
    this.advance(hours * 3_600_000);
  }
}

/**
 * Reproducible randomness: a SHA-256 stream over a seed and a call counter, so every call answers different bytes
 * that look uniform (as a CSPRNG's do) and every run answers the same sequence. The one fake of `RandomSource`.
 */
export class SequenceRandom extends RandomSource {
  calls = 0;

  constructor(private readonly seed = 'sequence-random') {
    super();
  }

  bytes(length: number): Buffer {
    const call = this.calls++;
    const blocks: Buffer[] = [];
    for (let i = 0; blocks.length * 32 < length; i++)
      blocks.push(createHash('sha256').update(`${this.seed}|${call}|${i}`).digest());
    return Buffer.concat(blocks).subarray(0, length);
  }
}

/** The real, validated configuration (defaults unless overridden), with Argon2 cheap enough for unit tests. */
export function unitConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({ ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', HASH_CONCURRENCY: '4', ...overrides }, '/tmp');
}

/** The real list-cursor codec over a fixed test keyring (cursors are HMAC'd as in the product). */
export function unitCursors(): CursorCodec {
  const keyring = Keyring.parse(`v1:${Buffer.alloc(32, 7).toString('base64')}`);
  return new CursorCodec(new CryptoService(keyring, new SequenceRandom('cursors'), new NoopEncryptionCounter()));
}

/** A store whose state a fake transaction can save and put back. */
export interface TransactionalStore {
  snapshot(): unknown;
  restore(state: unknown): void;
}

let transactions = 0;

/**
 * The manager handed to a transaction's callback: it knows whether it is still open and runs nothing itself. Its
 * `id` is unique in the test process, so fakes can record which transaction a write belonged to.
 */
export class FakeEntityManager {
  open = true;
  readonly afterCommit: (() => void)[] = [];
  readonly id = ++transactions;
  /** Stores this transaction wrote. */
  readonly wrote = new Set<TransactionalStore>();
  /** Stores someone else wrote while this transaction was open. */
  readonly shared = new Set<TransactionalStore>();

  constructor(readonly db: FakeDatabase) {}

  query(sql: string): never {
    throw new Error(`the unit fakes run no SQL; move this statement into a repository: ${sql}`);
  }
}

/**
 * One transaction boundary over every registered fake store: the callback's writes stay when it resolves and are
 * undone when it throws, as PostgreSQL would. A rollback puts back only the stores its transaction wrote, so what
 * another transaction committed meanwhile (an audit event recorded in a transaction of its own, say) stays. Stores
 * report each write with `write`; a write through a closed manager, or through another database's, is a bug in the
 * service, and a rollback of a store that another transaction also wrote while it was open (which snapshots cannot
 * untangle) fails loudly instead of losing either write.
 */
export class FakeDatabase {
  private readonly stores: TransactionalStore[] = [];
  private readonly active = new Set<FakeEntityManager>();
  commits = 0;
  rollbacks = 0;

  register<T extends TransactionalStore>(store: T): T {
    this.stores.push(store);
    return store;
  }

  async transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const saved = new Map(this.stores.map((s) => [s, s.snapshot()]));
    const em = new FakeEntityManager(this);
    this.active.add(em);
    try {
      const result = await fn(em as unknown as EntityManager);
      em.open = false;
      this.active.delete(em);
      this.commits++;
      for (const hook of em.afterCommit) hook();
      return result;
    } catch (err) {
      em.open = false;
      this.active.delete(em);
      this.rollbacks++;
      for (const store of em.wrote) {
        if (em.shared.has(store))
          throw new Error(`the fake cannot roll back ${store.constructor.name}: another transaction wrote it too`);
        store.restore(saved.get(store));
      }
      throw err;
    }
  }

  /** Throws unless `em` is undefined (the default manager) or an open transaction of this database. */
  assertOpen(em: EntityManager | undefined, what: string): void {
    const fake = em as unknown as FakeEntityManager | undefined;
    if (fake !== undefined && (!(fake instanceof FakeEntityManager) || fake.db !== this || !fake.open))
      throw new Error(`${what} ran on a closed transaction or one of another database`);
  }

  /**
   * Records a write to `store` through `em` (undefined: the default manager, a write of its own committed at once).
   * Throws unless `em` is a transaction of this database that is still open (writes must go through one).
   */
  write(store: TransactionalStore, em: EntityManager | undefined, what: string): void {
    this.assertOpen(em, what);
    const fake = em as unknown as FakeEntityManager | undefined;
    if (fake) fake.wrote.add(store);
    for (const other of this.active) if (other !== fake) other.shared.add(store);
  }
}

/** The fake transaction `em` belongs to (its id), or undefined for the default manager (a write of its own). */
export function transactionOf(em: EntityManager | undefined): number | undefined {
  if (em === undefined) return undefined;
  if (!(em instanceof FakeEntityManager)) throw new Error('not a manager of a FakeDatabase transaction');
  return em.id;
}

/**
 * ChangeFeed's two halves as PostgreSQL and the process provide them: `publish` is delivered to other instances only
 * when the caller's transaction commits (and never when it rolls back); `emitLocal` reaches this instance's
 * subscribers at once. `listening` is what the real feed answers once its LISTEN connection is up.
 */
export class FakeChangeFeed {
  /** Notices other instances received (committed publishes), in order, with the transaction that published them. */
  readonly delivered: { topic: string; id: string; transaction: number }[] = [];
  /** Calls of emitLocal, in order. */
  readonly local: { topic: string; id: string | undefined }[] = [];
  listening = true;
  private readonly handlers = new Map<string, ((id: string | undefined) => void)[]>();

  subscribe(topic: string, handler: (id: string | undefined) => void): void {
    this.handlers.set(topic, [...(this.handlers.get(topic) ?? []), handler]);
  }

  async publish(em: EntityManager, topic: string, id: string): Promise<void> {
    const fake = em as unknown as FakeEntityManager;
    if (!(fake instanceof FakeEntityManager) || !fake.open) throw new Error('publish outside an open transaction');
    fake.afterCommit.push(() => this.delivered.push({ topic, id, transaction: fake.id }));
  }

  emitLocal(topic: string, id: string | undefined): void {
    this.local.push({ topic, id });
    for (const handler of this.handlers.get(topic) ?? []) handler(id);
  }

  asChangeFeed(): ChangeFeed {
    return this as unknown as ChangeFeed;
  }
}

/** The public members of a class (what a fake must offer to stand in for it). */
export type PublicPart<T> = { [K in keyof T]: T[K] };

/** A copy of a row, so a caller holding it cannot change the store behind the fake's back (as with a real query). */
export function copyRow<T extends object>(row: T): T {
  return Object.assign(Object.create(Object.getPrototypeOf(row) as object) as T, row, cloneArrays(row));
}

function cloneArrays(row: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (Array.isArray(v)) out[k] = [...(v as unknown[])];
  return out;
}

/** An error the product classifies as "database unavailable" (connection refused). */
export function databaseDown(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
}
