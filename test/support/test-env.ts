import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Shared between Jest's global setup and the test workers. */
export function stateFile(): string {
  return join(tmpdir(), `security-backend-jest-${process.env.JEST_RUN_ID ?? 'default'}.json`);
}

export interface HarnessState {
  adminUrl: string;
  embeddedDir?: string;
}

export function harnessState(): HarnessState {
  return JSON.parse(readFileSync(stateFile(), 'utf8')) as HarnessState;
}

/** The harness refuses to touch a database whose name lacks "test". */
export function assertTestDatabase(url: string): void {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!/test/i.test(name)) {
    throw new Error(`Refusing to use database "${name}" for tests: its name must contain "test"`);
  }
}

/** In CI (CI=true) a missing dependency fails; elsewhere the test skips with one line. */
export function requireOrSkip(available: boolean, what: string): boolean {
  if (available) return true;
  if (process.env.CI === 'true') throw new Error(`${what} is required in CI but not available`);
  process.stdout.write(`skipped: ${what} is not available on this machine\n`);
  return false;
}
