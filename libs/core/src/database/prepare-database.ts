import type { AppConfig } from '../config/load-config';
import { checkSecretFingerprints } from '../secrets/secret-fingerprints';
import type { SecretStore } from '../secrets/secret-store';
import { EmbeddedServer } from './embedded-server';
import { migrate } from './migrate';
import { EMBEDDED_APP_ROLE, EMBEDDED_DATABASE, EMBEDDED_OWNER_ROLE, provisionDatabase } from './provision';
import type { SchemaParts } from './schema-parts';

export interface DatabaseTargets {
  /** The row-only role the app connects with. */
  appUrl: string;
  /** The schema owner that runs migrations. */
  ownerUrl: string;
  /** Present when this process uses the embedded server (started by us or found running). */
  embedded?: EmbeddedServer;
}

/** A URL without a password gets the one from the secret store (`DATABASE_PASSWORD[_FILE]`); one with a password keeps it. */
export function withPassword(url: string, password: string | undefined): string {
  if (!password) return url;
  const parsed = new URL(url);
  if (parsed.password) return url;
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/** Resolves where the database is; with no `DATABASE_URL`, starts (or reuses) the embedded server and provisions it. */
export async function resolveDatabase(
  config: AppConfig,
  secrets: SecretStore,
  log: (msg: string) => void,
): Promise<DatabaseTargets> {
  if (config.env.DATABASE_URL) {
    const appUrl = withPassword(config.env.DATABASE_URL, secrets.get('DATABASE_PASSWORD'));
    const ownerUrl = config.env.MIGRATIONS_DATABASE_URL
      ? withPassword(
          config.env.MIGRATIONS_DATABASE_URL,
          secrets.get('MIGRATIONS_DATABASE_PASSWORD') ?? secrets.get('DATABASE_PASSWORD'),
        )
      : appUrl;
    return { appUrl, ownerUrl };
  }
  const embedded = new EmbeddedServer({
    dataDir: config.dataDir,
    superuserPassword: secrets.require('PG_SUPERUSER_PASSWORD'),
    port: config.env.EMBEDDED_PG_PORT,
    log: (line) => line && log(`[postgres] ${line}`),
  });
  await embedded.start();
  const owner = { name: EMBEDDED_OWNER_ROLE, password: secrets.require('DB_OWNER_PASSWORD') };
  const app = { name: EMBEDDED_APP_ROLE, password: secrets.require('DB_APP_PASSWORD') };
  await provisionDatabase({
    adminUrl: embedded.url('postgres', secrets.require('PG_SUPERUSER_PASSWORD'), 'postgres'),
    database: EMBEDDED_DATABASE,
    owner,
    app,
  });
  return {
    appUrl: embedded.url(app.name, app.password, EMBEDDED_DATABASE),
    ownerUrl: embedded.url(owner.name, owner.password, EMBEDDED_DATABASE),
    embedded,
  };
}

/** Resolves the database and applies migrations (under the advisory lock). */
export async function prepareDatabase(
  config: AppConfig,
  secrets: SecretStore,
  schema: SchemaParts,
  log: (msg: string) => void,
): Promise<DatabaseTargets & { applied: string[] }> {
  const targets = await resolveDatabase(config, secrets, log);
  try {
    const { applied } = await migrate(targets.ownerUrl, targets.appUrl, schema);
    const { recorded } = await checkSecretFingerprints(targets.appUrl, secrets);
    if (recorded.length) log(`secret versions recorded: ${recorded.join(', ')}`);
    return { ...targets, applied };
  } catch (err) {
    await targets.embedded?.stop();
    throw err;
  }
}
