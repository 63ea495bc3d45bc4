import {
  checkSecretFingerprints,
  ConfigError,
  DatabaseTargets,
  DomainException,
  loadConfig,
  prepareDatabase,
  resolveDatabase,
  SecretError,
  SecretStore,
} from '@app/core';
import type { AppConfig } from '@app/core';
import { existsSync } from 'node:fs';
import { schema } from '../../api/src/schema';

/** How README tells people to call the CLI; help and usage lines use it. */
export const CLI_NAME = 'npm run cli --';

export interface CliRuntime {
  config: AppConfig;
  secrets: SecretStore;
  database: DatabaseTargets;
}

/**
 * Config, secrets and the database for a CLI command. With the embedded database, a server already running on
 * `DATA_DIR` (started by `npm start`) is reused; otherwise one is started for the command and stopped after it.
 */
export async function cliRuntime(opts: { migrate: boolean }): Promise<CliRuntime> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  // The CLI never delivers mail nor runs jobs itself: what it queues, the running service delivers. It caches no keys.
  const env = {
    LOG_LEVEL: 'warn',
    ...process.env,
    MAIL_DELIVERY_INTERVAL_MS: '0',
    API_KEY_JOBS_INTERVAL_MS: '0',
    API_KEY_CACHE_TTL_MS: '0',
  };
  const config = loadConfig(env);
  const secrets = SecretStore.load(config, undefined, { embeddedDatabase: !config.env.DATABASE_URL });
  const log = () => undefined;
  // prepareDatabase compares the secrets with the ones the database was first used with; without it, this does.
  const database = opts.migrate
    ? await prepareDatabase(config, secrets, schema, log)
    : await resolveDatabase(config, secrets, log);
  if (!opts.migrate)
    await checkSecretFingerprints(database.appUrl, secrets).catch(async (err: unknown) => {
      await database.embedded?.stop();
      throw err;
    });
  return { config, secrets, database };
}

/**
 * The one line for an error. A domain error says what the API's problem answer says: its detail, then the fields at
 * fault and the suggestions it carries (a weak password's strength and how to make it stronger), never less.
 */
export function failureLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ConfigError) return `Invalid configuration: ${err.problems.join('; ')}`;
  if (err instanceof SecretError) return message.replace(/\s*\n\s*/g, ' ');
  if (err instanceof DomainException) {
    const { errors, score, suggestions } = err.extras;
    const parts = [err.detail ?? err.code];
    if (errors?.length) parts.push(errors.map((e) => `${e.field}: ${e.messages.join(', ')}`).join('; ') + '.');
    if (typeof score === 'number') parts.push(`Strength ${score} of 4.`);
    if (Array.isArray(suggestions)) parts.push(...suggestions.map(String));
    return parts.join(' ').replace(/\s*\n\s*/g, ' ');
  }
  return message.split('\n')[0];
}

/** One clear line on stderr and a non-zero exit. */
export function fail(err: unknown): never {
  const code = (err as { code?: string })?.code;
  if (code === 'commander.helpDisplayed' || code === 'commander.help' || code === 'commander.version') process.exit(0);
  if (code?.startsWith('commander.')) process.exit(1); // commander has already printed its one line
  process.stderr.write(`error: ${failureLine(err)}\n`);
  process.exit(1);
}
