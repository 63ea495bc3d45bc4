import { existsSync, rmSync } from 'node:fs';
import { Client } from 'pg';
import { documentedSuccesses, resetCoverage, validatedAnswers } from './openapi-answers';
import slowTier from './slow-tier.json';
import { FULL_SUITE, harnessState, SLOW_TIER_NOTE, stateFile } from './test-env';

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
  const state = existsSync(stateFile()) ? harnessState() : undefined;
  if (state?.templateDb) await dropTemplate(state.adminUrl, state.templateDb);
  const server = (globalThis as { __embeddedPg?: { stop(): Promise<void>; opts: { dataDir: string } } }).__embeddedPg;
  if (server) {
    await server.stop();
    rmSync(server.opts.dataDir, { recursive: true, force: true });
  }
  rmSync(stateFile(), { force: true });
  reportOpenApiCoverage(globalConfig, projectConfig);
  if (!FULL_SUITE) process.stdout.write(`${SLOW_TIER_NOTE}\n`);
}

/** The run's template database (and a half-built one, if a worker died making it). */
async function dropTemplate(adminUrl: string, name: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (const db of [name, `${name}_building`]) {
      const id = admin.escapeIdentifier(db);
      if (!(await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db])).rowCount) continue;
      await admin.query(`ALTER DATABASE ${id} WITH IS_TEMPLATE false`);
      await admin.query(`DROP DATABASE ${id} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
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
  // Anything that runs less than every test file of its tier (or stops early) only reports. jest.config.js ignores no
  // paths itself beyond the slow tier's files, which a default run leaves out: what it runs must still cover every
  // operation, so the check holds in both tiers.
  const slowFiles = slowTier.files.map((f) => f.file);
  const ignoresPaths = (project.testPathIgnorePatterns ?? []).some(
    (p) => p !== '/node_modules/' && !slowFiles.some((f) => p.endsWith(f)),
  );
  // --selectProjects / --ignoreProjects reach no hook's configuration; the command line is this process's own.
  const selectsProjects = process.argv.some((a) => /^--(select|ignore)Projects\b/.test(a));
  const filtered = Boolean(
    config.testPathPatterns?.patterns?.length ||
    config.testNamePattern ||
    config.onlyChanged ||
    config.onlyFailures ||
    config.findRelatedTests ||
    config.shard ||
    config.bail ||
    ignoresPaths ||
    selectsProjects,
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
