import { ConfigError, RunningApp, SecretError, StartupError } from '@app/core';
import { existsSync } from 'node:fs';

const EXPECTED = [ConfigError, SecretError, StartupError];

/** Loads `.env` if present, boots, and turns SIGTERM/SIGINT into a graceful drain. Start-up errors: one message, exit 1. */
export async function runMain(boot: () => Promise<RunningApp>): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  let running: RunningApp;
  try {
    running = await boot();
  } catch (err) {
    const expected = EXPECTED.some((E) => err instanceof E);
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`security-backend: failed to start: ${message}\n`);
    if (!expected && err instanceof Error && process.env.NODE_ENV !== 'production') process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  }
  let signals = 0;
  const stop = (signal: string) => {
    if (++signals > 1) {
      process.stderr.write(`security-backend: second ${signal}, exiting now\n`);
      process.exit(1);
    }
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`security-backend: error during shutdown: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
