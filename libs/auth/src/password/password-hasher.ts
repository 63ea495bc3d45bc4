import { Injectable, OnModuleInit } from '@nestjs/common';
import * as argon2 from 'argon2';
import bcrypt from 'bcryptjs';
import { timingSafeEqual } from 'node:crypto';
import { AppConfig } from '@app/core';
import { RandomSource } from '@app/crypto';
import { Argon2Input, formatArgon2Phc, parseArgon2Phc } from './argon2-phc';
import { HashThreads } from './hash-threads';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export const OWASP_ARGON2: Argon2Params = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Salt and tag lengths of new hashes (bytes), as node-argon2 and the reference library make them. */
const SALT_BYTES = 16;
const TAG_BYTES = 32;

/**
 * Argon2id password hashing (PHC strings) with Node's built-in Argon2 on hashing threads of lower CPU priority
 * (HashThreads), which also cap how many hashes run at once, so a login flood queues there instead of taking the
 * event loop's core. Verifies legacy bcrypt ($2a$/$2b$/$2y$) hashes, and Argon2 strings the built-in cannot read
 * (version 1.0, a `keyid` or `data` parameter) with node-argon2, as they are, and tells the caller when a hash should
 * be upgraded to the current parameters.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  readonly params: Argon2Params;
  private dummyHash?: Promise<string>;
  /** Number of verifications actually run (for tests and metrics). */
  verifications = 0;

  constructor(
    config: AppConfig,
    private readonly threads: HashThreads,
    private readonly random: RandomSource,
  ) {
    this.params = {
      memoryCost: config.env.ARGON2_MEMORY_KIB,
      timeCost: config.env.ARGON2_TIME_COST,
      parallelism: config.env.ARGON2_PARALLELISM,
    };
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
    return (this.dummyHash ??= this.hash(this.random.bytes(24).toString('base64url')).catch((err: unknown) => {
      this.dummyHash = undefined;
      throw err;
    }));
  }

  async hash(password: string): Promise<string> {
    const input: Argon2Input = {
      algorithm: 'argon2id',
      memory: this.params.memoryCost,
      passes: this.params.timeCost,
      parallelism: this.params.parallelism,
      nonce: this.random.bytes(SALT_BYTES),
      tagLength: TAG_BYTES,
    };
    return formatArgon2Phc(input, await this.threads.argon2(password, input));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    this.verifications++;
    return this.check(hash, password);
  }

  /** Spends the time of one verification and always fails. */
  async verifyDummy(password: string): Promise<false> {
    await this.check(await this.dummy(), password);
    return false;
  }

  private async check(hash: string, password: string): Promise<boolean> {
    try {
      const phc = parseArgon2Phc(hash);
      if (phc) return timingSafeEqual(await this.threads.argon2(password, phc), phc.tag);
      if (/^\$2[aby]\$\d\d\$/.test(hash)) return await bcrypt.compare(password, hash);
      if (hash.startsWith('$argon2')) return await argon2.verify(hash, password);
    } catch {
      // A malformed (e.g. imported) hash never verifies; it must not leave a reserved attempt dangling.
    }
    return false;
  }

  /** True when the hash is bcrypt, not Argon2id, or made with other parameters. */
  needsRehash(hash: string): boolean {
    if (!hash.startsWith('$argon2id$')) return true;
    return argon2.needsRehash(hash, { ...this.params });
  }

  get pool(): { inUse: number; queued: number; capacity: number } {
    return { inUse: this.threads.inUse, queued: this.threads.queued, capacity: this.threads.capacity };
  }
}
