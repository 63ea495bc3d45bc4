import 'reflect-metadata';
import { loadConfig, SecretStore } from '@app/core';
import { CommandFactory } from 'nest-commander';
import { schema } from '../../api/src/schema';
import { CliModule } from './cli.module';
import { cliRuntime, fail } from './cli-runtime';
import { runMigrationCommand } from './migration-commands';

const OFFLINE_COMMANDS = new Set(['certs:dev']);

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (command?.startsWith('migration:')) return runMigrationCommand(command, args);
  const wantsHelp = !command || command === '--help' || command === '-h' || args.includes('--help') || args.includes('-h');
  // Commands that touch only files (certs:dev) run without a database, on the real configuration.
  const local = OFFLINE_COMMANDS.has(command ?? '');
  const offlineConfig = loadConfig({ ...(local ? process.env : {}), LOG_LEVEL: 'warn', MAIL_DELIVERY_INTERVAL_MS: '0' });
  const rt = wantsHelp || local ? undefined : await cliRuntime({ migrate: true });
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
        cliName: 'npm run cli --',
        logger: ['error'],
        errorHandler: (err) => fail(err),
        serviceErrorHandler: (err) => fail(err),
      },
    );
  } finally {
    await rt?.database.embedded?.stop();
  }
}

main().catch(fail);
