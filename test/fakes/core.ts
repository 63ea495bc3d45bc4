import type { EntityManager } from 'typeorm';
import { AppConfig, ChangeFeed, Clock, loadConfig } from '@app/core';
import { RandomSource } from '@app/crypto';

/**
 * Fakes of the core seams for the unit tier: a clock that only moves when told, a deterministic source of
 * randomness, the real configuration with cheap hashing, and an in-memory "database" whose transactions commit or
 * roll back every fake store registered with it. No SQL runs here: a service that reaches for `em.query` fails loudly.
 */

/** Stands still at a fixed instant until a test moves it. */
export class ManualClock extends Clock {
  private ms: number;

  constructor(start = '2026-03-01T12:00:00.000Z') {
    super();
    this.ms = Date.parse(start);
  }

  now(): Date {
    return new Date(this.ms);
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

/** Distinct, reproducible bytes: byte i of call n is (n * 31 + i) mod 256, so every token differs from the last. */
export class SequenceRandom extends RandomSource {
  calls = 0;

  bytes(length: number): Buffer {
    const n = ++this.calls;
    return Buffer.from(Array.from({ length }, (_, i) => (n * 31 + i) % 256));
  }
}

/** The real, validated configuration (defaults unless overridden), with Argon2 cheap enough for unit tests. */
export function unitConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({ ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', HASH_CONCURRENCY: '4', ...overrides }, '/tmp');
}

/** A store whose state a fake transaction can save and put back. */
export interface TransactionalStore {
  snapshot(): unknown;
  restore(state: unknown): void;
}

/** The manager handed to a transaction's callback: it knows whether it is still open and runs nothing itself. */
export class FakeEntityManager {
  open = true;
  readonly afterCommit: (() => void)[] = [];

  constructor(readonly id: number) {}

  query(sql: string): never {
    throw new Error(`the unit fakes run no SQL; move this statement into a repository: ${sql}`);
  }
}

/**
 * One transaction boundary over every registered fake store: the callback's writes stay when it resolves and are
 * undone when it throws, as PostgreSQL would. Writes made through a closed manager are a bug in the service.
 */
export class FakeDatabase {
  private readonly stores: TransactionalStore[] = [];
  private next = 0;
  commits = 0;
  rollbacks = 0;

  register<T extends TransactionalStore>(store: T): T {
    this.stores.push(store);
    return store;
  }

  async transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const saved = this.stores.map((s) => s.snapshot());
    const em = new FakeEntityManager(++this.next);
    try {
      const result = await fn(em as unknown as EntityManager);
      em.open = false;
      this.commits++;
      for (const hook of em.afterCommit) hook();
      return result;
    } catch (err) {
      em.open = false;
      this.rollbacks++;
      this.stores.forEach((s, i) => s.restore(saved[i]));
      throw err;
    }
  }

  /** Throws unless `em` is a transaction of this database that is still open (writes must go through one). */
  assertOpen(em: EntityManager | undefined, what: string): void {
    if (em === undefined) return; // the default manager: a write of its own, committed at once
    const fake = em as unknown as FakeEntityManager;
    if (!(fake instanceof FakeEntityManager) || !fake.open) throw new Error(`${what} ran on a closed transaction`);
  }
}

/**
 * ChangeFeed's two halves as PostgreSQL and the process provide them: `publish` is delivered to other instances only
 * when the caller's transaction commits; `emitLocal` reaches this instance's subscribers at once.
 */
export class FakeChangeFeed {
  /** Notices other instances received (committed publishes), in order. */
  readonly delivered: { topic: string; id: string }[] = [];
  /** Calls of emitLocal, in order. */
  readonly local: { topic: string; id: string | undefined }[] = [];

  async publish(em: EntityManager, topic: string, id: string): Promise<void> {
    const fake = em as unknown as FakeEntityManager;
    if (!(fake instanceof FakeEntityManager) || !fake.open) throw new Error('publish outside an open transaction');
    fake.afterCommit.push(() => this.delivered.push({ topic, id }));
  }

  emitLocal(topic: string, id: string | undefined): void {
    this.local.push({ topic, id });
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
