import { ChangeFeed, Clock } from '@app/core';
import { RandomSource } from '@app/crypto';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';

/** A clock that stands still until a test moves it (deterministic day boundaries, expiries, windows). */
export class FakeClock extends Clock {
  private ms: number;

  constructor(start: Date | string = '2026-03-10T12:00:00.000Z') {
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
}

/**
 * Reproducible randomness: a SHA-256 stream over a counter (distinct bytes on every call, the same sequence on
 * every run). Structurally a RandomSource and a CryptoRandom alike.
 */
export class FakeRandom extends RandomSource {
  calls = 0;

  constructor(private readonly seed = 'fake-random') {
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

/** Stands for a transaction's EntityManager: fakes record which transaction a write belonged to. */
export interface FakeEntityManager {
  readonly transaction: number;
}

let transactions = 0;

/** A fresh EntityManager stand-in for one transaction (never queried: the fakes ignore it except to compare). */
export function fakeEntityManager(): EntityManager {
  const em: FakeEntityManager = { transaction: ++transactions };
  return em as unknown as EntityManager;
}

/**
 * Runs `fn` as a transaction over in-memory state: `snapshot` is taken first and `restore`d when `fn` throws, as a
 * rollback would. Answers what `fn` answers, with the EntityManager it was given.
 */
export async function inTransaction<S, T>(
  snapshot: () => S,
  restore: (s: S) => void,
  fn: (em: EntityManager) => Promise<T>,
): Promise<T> {
  const saved = snapshot();
  try {
    return await fn(fakeEntityManager());
  } catch (err) {
    restore(saved);
    throw err;
  }
}

/** The change feed without PostgreSQL: what was published in which transaction, and what was told locally. */
export class FakeChangeFeed {
  readonly published: { em: EntityManager; topic: string; id: string }[] = [];
  readonly emitted: { topic: string; id: string | undefined }[] = [];
  private readonly handlers = new Map<string, ((id: string | undefined) => void)[]>();
  listening = true;

  subscribe(topic: string, handler: (id: string | undefined) => void): void {
    this.handlers.set(topic, [...(this.handlers.get(topic) ?? []), handler]);
  }

  async publish(em: EntityManager, topic: string, id: string): Promise<void> {
    this.published.push({ em, topic, id });
  }

  emitLocal(topic: string, id: string | undefined): void {
    this.emitted.push({ topic, id });
    for (const handler of this.handlers.get(topic) ?? []) handler(id);
  }

  asChangeFeed(): ChangeFeed {
    return this as unknown as ChangeFeed;
  }
}

/** An error the product classifies as "database unavailable" (connection refused). */
export function databaseDown(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
}
