import { hkdfSync } from 'node:crypto';

export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringError';
  }
}

const HKDF_SALT = Buffer.from('security-backend/keyring/v1', 'utf8');

/**
 * Versioned 256-bit master keys (`v1:<base64>,v2:<base64>`). The newest version encrypts; versions from
 * `minDecryptionVersion` up decrypt. Master keys are never used directly: every purpose gets its own subkey,
 * HKDF-SHA-256(master, salt, info = purpose).
 */
export class Keyring {
  private readonly masters: Map<number, Buffer>;
  private readonly subkeys = new Map<string, Buffer>();
  readonly current: number;
  private minVersion: number;

  constructor(masters: Map<number, Buffer>, minDecryptionVersion = 1) {
    if (!masters.size) throw new KeyringError('the keyring holds no key');
    for (const [v, key] of masters) {
      if (!Number.isInteger(v) || v < 1) throw new KeyringError(`key version ${v} is not a positive integer`);
      if (key.length !== 32) throw new KeyringError(`key v${v} is ${key.length} bytes; AES-256 needs 32`);
    }
    this.masters = masters;
    this.current = Math.max(...masters.keys());
    if (minDecryptionVersion > this.current)
      throw new KeyringError(`minDecryptionVersion ${minDecryptionVersion} is above the newest key v${this.current}`);
    this.minVersion = minDecryptionVersion;
  }

  get minDecryptionVersion(): number {
    return this.minVersion;
  }

  /** Retires every version up to and including `version` (never the current one; never lowers the bar). */
  retireThrough(version: number): void {
    if (version >= this.current)
      throw new KeyringError(`v${version} is the current key or newer; add a newer key first`);
    this.minVersion = Math.max(this.minVersion, version + 1);
  }

  /** `v1:<base64 32 bytes>,v2:…` */
  static parse(value: string, minDecryptionVersion = 1): Keyring {
    const masters = new Map<number, Buffer>();
    for (const part of value
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const m = /^v(\d{1,6}):([A-Za-z0-9+/_-]+={0,2})$/.exec(part);
      if (!m)
        throw new KeyringError('ENCRYPTION_KEYS must be `v<version>:<base64 of 32 bytes>` pairs, comma-separated');
      const version = Number(m[1]);
      if (masters.has(version)) throw new KeyringError(`key version v${version} appears twice`);
      masters.set(version, Buffer.from(m[2], m[2].includes('-') || m[2].includes('_') ? 'base64url' : 'base64'));
    }
    return new Keyring(masters, minDecryptionVersion);
  }

  get versions(): number[] {
    return [...this.masters.keys()].sort((a, b) => a - b);
  }

  canDecrypt(version: number): boolean {
    return version >= this.minVersion && this.masters.has(version);
  }

  /** The 32-byte subkey for a purpose under a key version (derived once, then kept). */
  subkey(purpose: string, version: number): Buffer {
    const id = `${version}|${purpose}`;
    let key = this.subkeys.get(id);
    if (!key) {
      const master = this.masters.get(version);
      if (!master) throw new KeyringError(`no key v${version}`);
      key = Buffer.from(hkdfSync('sha256', master, HKDF_SALT, Buffer.from(purpose, 'utf8'), 32));
      this.subkeys.set(id, key);
    }
    return key;
  }
}
