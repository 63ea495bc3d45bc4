import { Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { PasswordHasher } from '@app/auth';
import { AppConfig, SecretStore } from '@app/core';

export type KeyHashScheme = 'hmac-sha256' | 'argon2id';

export interface KeyHashCheck {
  ok: boolean;
  /** The stored hash uses another scheme or an older pepper than the configured ones. */
  needsRehash: boolean;
}

/** `API_KEY_PEPPERS` = `version:secret[,version:secret…]`; the highest version is current. */
export function parsePeppers(value: string): Map<number, Buffer> {
  const peppers = new Map<number, Buffer>();
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(\d{1,6}):(.{16,})$/.exec(part);
    if (!m)
      throw new Error(
        'API_KEY_PEPPERS must be `version:secret` pairs (secret at least 16 characters), comma-separated',
      );
    peppers.set(Number(m[1]), Buffer.from(m[2], 'utf8'));
  }
  if (!peppers.size) throw new Error('API_KEY_PEPPERS holds no pepper');
  return peppers;
}

const HMAC_PHC = /^\$hmac-sha256\$v=(\d+)\$([A-Za-z0-9+/]{43})$/;

/**
 * Stored API key hashes as PHC-style strings naming their scheme:
 * - `$hmac-sha256$v=<pepper version>$<base64 digest>`: HMAC-SHA256 of the whole key under a server-side pepper.
 *   The key carries 256 random bits, so a fast keyed hash is enough (NIST SP 800-63B 5.1.2.2), and a dump of the
 *   table without the pepper cannot even confirm a leaked key. A few microseconds per cache miss.
 * - `$argon2id$…`: for policies that demand a slow hash; tens of milliseconds per cache miss.
 * Verification dispatches on the stored scheme; a match under another scheme or pepper asks for a re-hash.
 */
@Injectable()
export class KeyHasher {
  private pepperSet?: { peppers: Map<number, Buffer>; current: number };
  readonly scheme: KeyHashScheme;

  constructor(
    config: AppConfig,
    private readonly secrets: SecretStore,
    private readonly argon2: PasswordHasher,
  ) {
    this.scheme = config.env.API_KEY_HASH;
  }

  /** Fails at boot on a malformed pepper list (when one is configured; offline help needs none). */
  validate(): void {
    if (this.secrets.get('API_KEY_PEPPERS') !== undefined) this.load();
  }

  /** Read on first use: the boot's SecretStore always holds it (generated in development, required in production). */
  private get peppers(): Map<number, Buffer> {
    return this.load().peppers;
  }

  private get currentVersion(): number {
    return this.load().current;
  }

  private load(): { peppers: Map<number, Buffer>; current: number } {
    if (!this.pepperSet) {
      const peppers = parsePeppers(this.secrets.require('API_KEY_PEPPERS'));
      this.pepperSet = { peppers, current: Math.max(...peppers.keys()) };
    }
    return this.pepperSet;
  }

  async hash(key: string): Promise<string> {
    if (this.scheme === 'argon2id') return this.argon2.hash(key);
    return this.hmacPhc(key, this.currentVersion);
  }

  async verify(key: string, stored: string): Promise<KeyHashCheck> {
    const hmac = HMAC_PHC.exec(stored);
    if (hmac) {
      const version = Number(hmac[1]);
      const pepper = this.peppers.get(version);
      if (!pepper) return { ok: false, needsRehash: false };
      const expected = Buffer.from(hmac[2], 'base64');
      const actual = createHmac('sha256', pepper).update(key).digest();
      const ok = expected.length === actual.length && timingSafeEqual(expected, actual);
      return { ok, needsRehash: ok && (this.scheme !== 'hmac-sha256' || version !== this.currentVersion) };
    }
    if (stored.startsWith('$argon2id$')) {
      const ok = await this.argon2.verify(stored, key);
      return { ok, needsRehash: ok && (this.scheme !== 'argon2id' || this.argon2.needsRehash(stored)) };
    }
    return { ok: false, needsRehash: false };
  }

  /**
   * For a well-formed key whose id matches nothing: with argon2id, spend one verification's time so the answer does
   * not tell which key ids exist (with HMAC the difference is a microsecond).
   */
  async spendDummy(key: string): Promise<void> {
    if (this.scheme === 'argon2id') await this.argon2.verifyDummy(key);
  }

  /** The scheme and pepper version of a stored hash (for the hygiene report), never the digest. */
  static describe(stored: string): string {
    const hmac = HMAC_PHC.exec(stored);
    if (hmac) return `hmac-sha256 v${hmac[1]}`;
    return stored.startsWith('$argon2id$') ? 'argon2id' : 'unknown';
  }

  private hmacPhc(key: string, version: number): string {
    const digest = createHmac('sha256', this.peppers.get(version)!).update(key).digest('base64').replace(/=+$/, '');
    return `$hmac-sha256$v=${version}$${digest}`;
  }
}
