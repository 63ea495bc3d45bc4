/**
 * Jest projects, one per tier: `unit` (co-located `*.spec.ts` in apps/ and libs/, plus the fakes' own spec in
 * test/fakes/; no database), `integration` (`test/integration/*.test.ts`, real PostgreSQL) and `e2e`
 * (`test/e2e/*.e2e.ts`, the real app over HTTP on real PostgreSQL); `npx jest --selectProjects unit` runs one tier. The slow tier runs only in the full suite, when
 * `CI=true` (set by .ci/run) or `FULL=1` (`npm run test:full`), the rule test/support/test-env.ts also applies:
 * the `slow` project (whole files, listed in test/support/slow-tier.json) and single slow cases in fast files
 * (`itSlow`, test/support/tier.ts).
 * Nest 12 packages are ES modules; Jest on Node 20 cannot require() them, so SWC turns them into CommonJS.
 */
const FULL_SUITE = process.env.CI === 'true' || process.env.FULL === '1';

/** Whole files of the slow tier (real processes, nginx, a browser, a cluster of their own), each with its reason. */
const SLOW_FILES = require('./test/support/slow-tier.json').files.map((f) => f.file);

const swc = [
  '@swc/jest',
  {
    swcrc: false,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];
const esmPackages = [
  '@nestjs',
  'nestjs-pino',
  'file-type',
  'load-esm',
  'uid',
  'strtok3',
  'token-types',
  '@tokenizer',
  '@borewit',
  'uint8array-extras',
  'cookie',
  'content-disposition',
];

const common = {
  testEnvironment: 'node',
  rootDir: '.',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  // Only the innermost node_modules segment decides, so nested copies (a/node_modules/b) are transformed too.
  transformIgnorePatterns: [`/node_modules/(?!.*/node_modules/)(?!(${esmPackages.join('|')})/)`],
  moduleNameMapper: { '^@app/([a-z-]+)$': '<rootDir>/libs/$1/src' },
};
/** The tiers that need PostgreSQL share one global setup (Jest runs a module once however many projects name it). */
const withDatabase = {
  ...common,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
const slow = SLOW_FILES.map((f) => `<rootDir>/${f}`);
/** `npx jest test/e2e/cli.e2e.ts` (or `cli.e2e`) runs that slow file without FULL=1: naming a file asks for it. */
const namesSlowFile = process.argv.slice(2).some((arg) => {
  const a = arg.replace(/\.ts$/, '');
  return SLOW_FILES.some((f) => f.replace(/\.ts$/, '').endsWith(a) && a.includes(f.split('/').pop().split('.')[0]));
});

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test/fakes'],
      testMatch: ['**/*.spec.ts'],
    },
    { ...withDatabase, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    {
      ...withDatabase,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...slow],
    },
    ...(FULL_SUITE || namesSlowFile ? [{ ...withDatabase, displayName: 'slow', testMatch: slow }] : []),
  ],
  testTimeout: 60000,
  maxWorkers: 2,
  verbose: false,
};
