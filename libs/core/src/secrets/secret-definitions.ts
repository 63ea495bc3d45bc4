import { randomBytes } from 'node:crypto';

/** A secret the service reads as `NAME` or from the file named by `NAME_FILE`. */
export interface SecretDefinition {
  name: string;
  description: string;
  /** How a development value is generated when none is given (CSPRNG). Omit for optional secrets. */
  generate?: () => string;
  /** Only needed when the embedded PostgreSQL is used. */
  embeddedDatabaseOnly?: boolean;
  /**
   * For a list of versioned secrets: each version and its material. Every instance on one database must hold the
   * same material per version; a keyed fingerprint of each is recorded there at first use (secret-fingerprints.ts).
   */
  versions?: (value: string) => { version: string; material: Buffer }[];
}

/**
 * `version:secret` pairs, comma-separated; parts that do not parse are left to the owning module's validation. The
 * version is named as its module reads it (`01` and `1` are one version), with `prefix` (`v` for ENCRYPTION_KEYS).
 */
function versionPairs(pattern: RegExp, material: (secret: string) => Buffer, prefix = '') {
  return (value: string) =>
    value
      .split(',')
      .map((part) => pattern.exec(part.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ version: `${prefix}${Number(m[1])}`, material: material(m[2]) }));
}

const random = (bytes: number) => () => randomBytes(bytes).toString('base64url');

/** Registry of every secret; modules add theirs here so docs/configuration.md and checks list them from one place. */
export const SECRET_DEFINITIONS: SecretDefinition[] = [
  {
    name: 'PG_SUPERUSER_PASSWORD',
    description: 'Superuser password of the embedded PostgreSQL.',
    generate: random(32),
    embeddedDatabaseOnly: true,
  },
  {
    name: 'DB_OWNER_PASSWORD',
    description: 'Password of the schema-owner role of the embedded PostgreSQL (runs migrations).',
    generate: random(32),
    embeddedDatabaseOnly: true,
  },
  {
    name: 'DB_APP_PASSWORD',
    description: 'Password of the row-only role of the embedded PostgreSQL (the app connects with it).',
    generate: random(32),
    embeddedDatabaseOnly: true,
  },
  {
    name: 'DATABASE_PASSWORD',
    description:
      'Password for `DATABASE_URL` when the URL itself carries none (so a container passes it as a file, `DATABASE_PASSWORD_FILE`, not in its environment).',
  },
  {
    name: 'MIGRATIONS_DATABASE_PASSWORD',
    description: 'Password for `MIGRATIONS_DATABASE_URL` when that URL carries none.',
  },
  {
    name: 'SMTP_URL',
    description:
      'SMTP URL for outgoing mail (`smtps://user:pass@host:465`). Unset: mails are logged instead of sent (development).',
  },
  {
    name: 'API_KEY_PEPPERS',
    description:
      'Server-side peppers for API key hashes, `version:secret` comma-separated (e.g. `2:…,1:…`); the highest version hashes new keys, older ones still verify until keys are re-hashed on use.',
    generate: () => `1:${random(32)()}`,
    versions: versionPairs(/^(\d{1,6}):(.{16,})$/, (secret) => Buffer.from(secret, 'utf8')),
  },
  {
    name: 'ENCRYPTION_KEYS',
    description:
      'Master keys for encryption at rest, `v<version>:<base64 of 32 bytes>` comma-separated (e.g. `v2:…,v1:…`); the newest version encrypts, older ones decrypt until retired.',
    generate: () => `v1:${randomBytes(32).toString('base64')}`,
    versions: versionPairs(/^v(\d{1,6}):(\S+)$/, (secret) => Buffer.from(secret, 'base64'), 'v'),
  },
  {
    name: 'NOTIFY_WEBHOOK_SECRET',
    description:
      'HMAC secret that signs notification webhooks (`Webhook-Signature: t=…,v1=…`). Required when `NOTIFY_WEBHOOK_URL` is set.',
  },
  {
    name: 'REDIS_PASSWORD',
    description:
      'Password for `REDIS_URL` when the URL carries none (a container passes it as a file, `REDIS_PASSWORD_FILE`).',
  },
  {
    name: 'APP_TLS_KEY',
    description:
      "Private key (PEM) for the certificate in `APP_TLS_CERT_FILE`: the app's own TLS listener, behind the proxy. Required when `APP_TLS_CERT_FILE` is set.",
  },
  {
    name: 'METRICS_TOKEN',
    description:
      'Bearer token that lets addresses outside `METRICS_ALLOW` read `/metrics`. Unset: only allowed addresses.',
  },
];
