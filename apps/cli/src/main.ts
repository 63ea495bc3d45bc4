import 'reflect-metadata';
import { loadConfig, SecretStore } from '@app/core';
import { CommandFactory } from 'nest-commander';
import { schema } from '../../api/src/schema';
import { CliModule } from './cli.module';
import { cliRuntime, CLI_NAME, fail } from './cli-runtime';
import { MIGRATION_COMMANDS_HELP, migrationUsage, runMigrationCommand } from './migration-commands';

const OFFLINE_COMMANDS = new Set(['certs:dev']);

/** Commander's help, named as README calls it (`npm run cli --`), with the migration commands listed after the rest. */
const helpConfiguration = {
  formatHelp(this: void, cmd: { parent: unknown }, helper: object): string {
    const base = (Object.getPrototypeOf(helper) as { formatHelp(c: unknown, h: object): string }).formatHelp.call(
      helper,
      cmd,
      helper,
    );
    const named = base.replace(/^Usage: \S+/, `Usage: ${CLI_NAME}`);
    return cmd.parent ? named : `${named}\n${MIGRATION_COMMANDS_HELP}`;
  },
};

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  const wantsHelp =
    !command || command === '--help' || command === '-h' || args.includes('--help') || args.includes('-h');
  if (command?.startsWith('migration:')) {
    if (wantsHelp) return void process.stdout.write(migrationUsage(command));
    return runMigrationCommand(command, args);
  }
  // Commands that touch only files (certs:dev) run without a database, on the real configuration.
  const local = OFFLINE_COMMANDS.has(command ?? '');
  const offlineConfig = loadConfig({
    ...(local ? process.env : {}),
    LOG_LEVEL: 'warn',
    MAIL_DELIVERY_INTERVAL_MS: '0',
  });
  const rt = wantsHelp || local ? undefined : await cliRuntime({ migrate: true });
  // Errors are kept until the embedded database (when this command started one) has stopped, then reported.
  let failure: unknown;
  try {
    await CommandFactory.run(
      CliModule.register({
        config: rt?.config ?? offlineConfig,
        secrets: rt?.secrets ?? SecretStore.ephemeral(offlineConfig),
        database: { appUrl: rt?.database.appUrl ?? 'postgres://offline@127.0.0.1:1/offline' },
        schema,
        offline: !rt,
      }),
      {
        cliName: CLI_NAME,
        logger: ['error'],
        helpConfiguration,
        errorHandler: (err) => {
          throw err;
        },
        serviceErrorHandler: (err) => {
          failure ??= err;
        },
      },
    );
  } catch (err) {
    failure ??= err;
  } finally {
    await rt?.database.embedded?.stop();
  }
  if (failure !== undefined) fail(failure);
}

main().catch(fail);
