import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from '../config/load-config';
import { modeProblem } from './file-modes';
import { SECRET_DEFINITIONS, SecretDefinition } from './secret-definitions';

export class SecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretError';
  }
}

export type SecretSource = 'env' | 'file' | 'generated' | 'stored';

/**
 * Reads secrets from `NAME` or `NAME_FILE` (Docker secrets), refusing files readable by group/others or not owned
 * by the process user. Outside production, missing secrets are generated once into `DATA_DIR/secrets/`
 * (dir 0700, files 0600) and reused. Values never leave this class except through `get()`.
 */
export class SecretStore {
  private readonly values = new Map<string, string>();
  private readonly sources = new Map<string, SecretSource>();

  private constructor(private readonly config: AppConfig) {}

  static load(
    config: AppConfig,
    definitions: SecretDefinition[] = SECRET_DEFINITIONS,
    opts: { embeddedDatabase: boolean } = { embeddedDatabase: true },
  ): SecretStore {
    const store = new SecretStore(config);
    const missing: string[] = [];
    for (const def of definitions) {
      if (def.embeddedDatabaseOnly && !opts.embeddedDatabase) continue;
      if (!store.read(def) && def.generate) {
        if (config.isProduction) missing.push(def.name);
        else store.generate(def);
      }
    }
    if (missing.length) {
      throw new SecretError(`Missing secrets in production: ${missing.map((n) => `${n} (or ${n}_FILE)`).join(', ')}`);
    }
    return store;
  }

  /**
   * Throwaway values for building the module graph without running anything (CLI `--help`): generated in memory,
   * never written, never used to reach data.
   */
  static ephemeral(config: AppConfig, definitions: SecretDefinition[] = SECRET_DEFINITIONS): SecretStore {
    const store = new SecretStore(config);
    for (const def of definitions)
      if (def.generate && !def.embeddedDatabaseOnly) store.set(def.name, def.generate(), 'generated');
    return store;
  }

  get secretsDir(): string {
    return join(this.config.dataDir, 'secrets');
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  require(name: string): string {
    const value = this.values.get(name);
    if (value === undefined) throw new SecretError(`Secret ${name} is not configured`);
    return value;
  }

  /** Where each secret came from (never the value), for the boot log. */
  describe(): Record<string, SecretSource> {
    return Object.fromEntries(this.sources);
  }

  /** The file a secret was read from (NAME_FILE, or the generated development file); undefined when it came from NAME. */
  filePath(name: string): string | undefined {
    const source = this.sources.get(name);
    if (source === 'file') return this.config.source[`${name}_FILE`];
    if (source === 'stored' || source === 'generated') return join(this.secretsDir, name);
    return undefined;
  }

  /**
   * Replaces a file-backed secret atomically (a 0600 temporary file beside it, then rename), so a crash leaves the old
   * or the new value, never half of one. Running processes keep the value they loaded until restarted.
   */
  replaceFile(name: string, value: string): string {
    const path = this.filePath(name);
    if (!path)
      throw new SecretError(`${name} comes from the environment; set ${name}_FILE to let the service write it`);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${value}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, path);
    this.set(name, value, this.sources.get(name)!);
    return path;
  }

  /** All loaded secret values, so log capture tests and redaction can look for them. */
  allValues(): string[] {
    return [...this.values.values()];
  }

  private read(def: SecretDefinition): boolean {
    const src = this.config.source;
    const direct = src[def.name];
    const file = src[`${def.name}_FILE`];
    if (direct !== undefined && direct !== '' && file) {
      throw new SecretError(`Both ${def.name} and ${def.name}_FILE are set; set only one`);
    }
    if (direct !== undefined && direct !== '') return this.set(def.name, direct, 'env');
    if (file) return this.set(def.name, readSecretFile(file, def.name), 'file');
    const stored = join(this.secretsDir, def.name);
    if (existsSync(stored)) return this.set(def.name, readSecretFile(stored, def.name), 'stored');
    return false;
  }

  private generate(def: SecretDefinition): void {
    ensurePrivateDir(this.secretsDir);
    const value = def.generate!();
    const path = join(this.secretsDir, def.name);
    writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
    this.set(def.name, value, 'generated');
  }

  private set(name: string, value: string, source: SecretSource): true {
    this.values.set(name, value);
    this.sources.set(name, source);
    return true;
  }
}

export function readSecretFile(path: string, name: string): string {
  if (!existsSync(path)) throw new SecretError(`Secret file for ${name} not found: ${path}`);
  const problem = modeProblem(path, { requireOwner: true });
  if (problem) {
    throw new SecretError(
      `Secret file ${path} ${problem.reason}; run: chmod 600 ${path} (and chown it to the service user)`,
    );
  }
  const value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  if (!value) throw new SecretError(`Secret file for ${name} is empty: ${path}`);
  return value;
}

export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}
