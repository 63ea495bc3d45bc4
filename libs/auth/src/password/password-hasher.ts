import { Injectable, OnModuleInit } from '@nestjs/common';
import * as argon2 from 'argon2';
import { availableParallelism } from 'node:os';
import bcrypt from 'bcryptjs';
import { AppConfig } from '@app/core';
import { Semaphore } from './semaphore';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export const OWASP_ARGON2: Argon2Params = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/**
 * Hashes allowed at once: as configured, or (0) one per core this process may use but one, kept below the libuv pool
 * size so file and DNS work still get a thread; at least 1. On one core that is 1: the hashing thread and the event
 * loop share the core, so a login flood leaves the API about half of it.
 */
export function hashConcurrency(configured: number, threadPool: number, cores = availableParallelism()): number {
  if (configured > 0) return configured;
  return Math.max(1, Math.min(cores - 1, threadPool - 1));
}

/**
 * Argon2id password hashing (PHC strings), off the event loop on the libuv pool, with a semaphore so a login flood
 * queues here instead of starving the pool. Verifies legacy bcrypt ($2a$/$2b$/$2y$) and Argon2 hashes as they are
 * and tells the caller when a hash should be upgraded to the current parameters.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  readonly params: Argon2Params;
  private readonly gate: Semaphore;
  private dummyHash?: Promise<string>;
  /** Number of verifications actually run (for tests and metrics). */
  verifications = 0;

  constructor(config: AppConfig) {
    this.params = {
      memoryCost: config.env.ARGON2_MEMORY_KIB,
      timeCost: config.env.ARGON2_TIME_COST,
      parallelism: config.env.ARGON2_PARALLELISM,
    };
    this.gate = new Semaphore(hashConcurrency(config.env.HASH_CONCURRENCY, config.env.UV_THREADPOOL_SIZE));
  }

  /**
   * A hash of a random password with the current parameters, so unknown users cost what known ones cost. Made while
   * the rest of the service starts (start-up does not wait for it; the first dummy verification does).
   */
  onModuleInit(): void {
    this.dummy().catch(() => undefined);
  }

  /** The dummy hash, made once (made again by the next caller if making it failed). */
  private dummy(): Promise<string> {
    return (this.dummyHash ??= this.hash(`dummy-${Math.random()}-${Date.now()}`).catch((err: unknown) => {
      this.dummyHash = undefined;
      throw err;
    }));
  }

  hash(password: string): Promise<string> {
    return this.gate.run(() => argon2.hash(password, { type: argon2.argon2id, ...this.params }));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    this.verifications++;
    return this.gate.run(async () => {
      try {
        if (/^\$2[aby]\$\d\d\$/.test(hash)) return await bcrypt.compare(password, hash);
        if (hash.startsWith('$argon2')) return await argon2.verify(hash, password);
      } catch {
        // A malformed (e.g. imported) hash never verifies; it must not leave a reserved attempt dangling.
      }
      return false;
    });
  }

  /** Spends the time of one verification and always fails. */
  async verifyDummy(password: string): Promise<false> {
    const dummy = await this.dummy();
    await this.gate.run(() => argon2.verify(dummy, password).catch(() => false));
    return false;
  }

  /** True when the hash is bcrypt, not Argon2id, or made with other parameters. */
  needsRehash(hash: string): boolean {
    if (!hash.startsWith('$argon2id$')) return true;
    return argon2.needsRehash(hash, { ...this.params });
  }

  get pool(): { inUse: number; queued: number; capacity: number } {
    return { inUse: this.gate.inUse, queued: this.gate.queued, capacity: this.gate.capacity };
  }
}
