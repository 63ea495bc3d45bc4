import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { isAbsolute, resolve } from 'node:path';
import { envDocs } from './env-doc.decorator';
import { Environment } from './environment';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The validated configuration, with derived values. Built once at boot. */
export class AppConfig {
  private boundUrl?: string;

  constructor(
    readonly env: Readonly<Environment>,
    readonly dataDir: string,
    /** The raw variables, kept only so the SecretStore can read NAME / NAME_FILE. */
    readonly source: Readonly<Record<string, string | undefined>>,
  ) {}

  get isProduction(): boolean {
    return this.env.NODE_ENV === 'production';
  }

  get docsEnabled(): boolean {
    return this.env.DOCS_ENABLED ?? !this.isProduction;
  }

  get trustedProxies(): string[] {
    return splitList(this.env.TRUSTED_PROXIES);
  }

  get metricsAllow(): string[] {
    return splitList(this.env.METRICS_ALLOW);
  }

  /**
   * The URL mail links start with (no trailing slash): `PUBLIC_URL`, else the deprecated `PUBLIC_BASE_URL`, else the
   * URL the server is bound to (known once it listens, so `PORT=0` and any `PORT` give the right port), else
   * `http://HOST:PORT` as configured. A wildcard `HOST` (0.0.0.0, ::) is not an address a link can name: loopback.
   */
  get publicUrl(): string {
    const configured = this.env.PUBLIC_URL ?? this.env.PUBLIC_BASE_URL;
    return (configured ?? this.boundUrl ?? serverUrl(this.env.HOST, this.env.PORT)).replace(/\/+$/, '');
  }

  /** Called once the HTTP server listens, with the port it actually bound. */
  listeningOn(port: number): string {
    this.boundUrl = serverUrl(this.env.HOST, port);
    return this.boundUrl;
  }
}

/** `http://host:port` for a bind address; wildcards become loopback, IPv6 is bracketed. */
export function serverUrl(bindHost: string, port: number): string {
  const host = bindHost === '0.0.0.0' ? '127.0.0.1' : bindHost === '::' ? '::1' : bindHost;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function flatten(errors: ValidationError[]): string[] {
  return errors.flatMap((e) => {
    const received = e.value === undefined ? 'unset' : JSON.stringify(String(e.value).slice(0, 80));
    const messages = Object.values(e.constraints ?? {});
    return messages.length ? [`${e.property} (${received}): ${messages.join('; ')}`] : [];
  });
}

/** Validates the environment; throws one ConfigError naming every bad variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env, cwd = process.cwd()): AppConfig {
  const known = [...envDocs(Environment).keys()];
  const picked: Record<string, string> = {};
  for (const key of known) {
    const value = source[key];
    if (value !== undefined) picked[key] = value;
  }
  const env = plainToInstance(Environment, picked, { exposeDefaultValues: true });
  const errors = validateSync(env, { whitelist: true, forbidUnknownValues: true });
  if (errors.length) throw new ConfigError(flatten(errors));
  const dataDir = isAbsolute(env.DATA_DIR) ? env.DATA_DIR : resolve(cwd, env.DATA_DIR);
  return new AppConfig(Object.freeze(env), dataDir, Object.freeze({ ...source }));
}
