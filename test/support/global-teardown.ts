import { rmSync } from 'node:fs';
import { documentedSuccesses, resetCoverage, validatedAnswers } from './openapi-answers';
import { stateFile } from './test-env';

interface RunConfig {
  testPathPatterns?: { patterns?: string[] };
  testNamePattern?: string;
  onlyChanged?: boolean;
  onlyFailures?: boolean;
  findRelatedTests?: boolean;
  shard?: unknown;
  bail?: number;
}

interface ProjectConfig {
  testPathIgnorePatterns?: string[];
}

export default async function globalTeardown(
  globalConfig: RunConfig,
  projectConfig: ProjectConfig = {},
): Promise<void> {
  const server = (globalThis as { __embeddedPg?: { stop(): Promise<void>; opts: { dataDir: string } } }).__embeddedPg;
  if (server) {
    await server.stop();
    rmSync(server.opts.dataDir, { recursive: true, force: true });
  }
  rmSync(stateFile(), { force: true });
  reportOpenApiCoverage(globalConfig, projectConfig);
}

/**
 * Every documented operation must have had at least one success answer checked against its schema somewhere in the
 * suite (test/support/openapi-answers.ts). Enforced on whole runs only; a filtered run just reports.
 */
function reportOpenApiCoverage(config: RunConfig, project: ProjectConfig): void {
  const seen = validatedAnswers();
  resetCoverage();
  const documented = documentedSuccesses();
  const missing = [...documented.keys()].filter((op) => !seen.has(op));
  const unseenStatuses = [...documented].flatMap(([op, statuses]) =>
    statuses.filter((s) => seen.has(op) && !seen.get(op)!.has(s)).map((s) => `${op} ${s}`),
  );
  // Anything that runs less than every test file (or stops early) only reports; jest.config.js ignores no paths itself.
  const ignoresPaths = (project.testPathIgnorePatterns ?? []).some((p) => p !== '/node_modules/');
  const filtered = Boolean(
    config.testPathPatterns?.patterns?.length ||
    config.testNamePattern ||
    config.onlyChanged ||
    config.onlyFailures ||
    config.findRelatedTests ||
    config.shard ||
    config.bail ||
    ignoresPaths,
  );
  process.stdout.write(
    `\nOpenAPI: success answers of ${documented.size - missing.length} of ${documented.size} operations checked against their documented schemas${unseenStatuses.length ? `; documented statuses never seen: ${unseenStatuses.join(', ')}` : ''}\n`,
  );
  if (missing.length === 0) return;
  const list = missing.join('\n  ');
  if (filtered) process.stdout.write(`OpenAPI: not exercised by this (filtered) run:\n  ${list}\n`);
  else
    throw new Error(
      `OpenAPI: no test checked a success answer of:\n  ${list}\nExercise each operation through TestApp.request (test/support/app.ts) at least once (if tests failed above, a failing one may be the one that covers it).`,
    );
}
