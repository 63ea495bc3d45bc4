import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Two tiers. `npm test` runs the default tier: every module end to end over HTTP on real PostgreSQL and a quick
 * fuzz, well within 150 s. The full suite adds the slow tier: whole files (test/support/slow-tier.json, the `slow`
 * Jest project) and single slow cases inside fast files (`itSlow`, `describeSlow` in tier.ts). It runs when `CI=true`
 * (set by .ci/run) or `FULL=1` (`npm run test:full`); jest.config.js applies the same rule.
 */
export const FULL_SUITE = process.env.CI === 'true' || process.env.FULL === '1';

/** The one line a default run prints about what it left out. */
export const SLOW_TIER_NOTE =
  'Slow tier not run (10,000-request fuzz, CLI and service processes, cluster, nginx/TLS, browser, timing ratios, faults, database outage, the 100,000-row audit export): CI runs it (CI=true); locally: npm run test:full';

/** Shared between Jest's global setup and the test workers. */
export function stateFile(): string {
  return join(tmpdir(), `security-backend-jest-${process.env.JEST_RUN_ID ?? 'default'}.json`);
}

export interface HarnessState {
  adminUrl: string;
  embeddedDir?: string;
  /** The run's migrated template database (made by the first test file that needs one; see database.ts). */
  templateDb?: string;
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
