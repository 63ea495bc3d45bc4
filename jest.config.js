/**
 * Three tiers in one run: co-located unit tests (`*.spec.ts` in apps/ and libs/), integration tests on real
 * PostgreSQL (`test/integration/*.test.ts`) and end-to-end tests over HTTP (`test/e2e/*.e2e.ts`).
 * Nest 12 packages are ES modules; Jest on Node 20 cannot require() them, so SWC turns them into CommonJS.
 */
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

module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/e2e/**/*.e2e.ts'],
  transform: { '^.+\\.(t|j|mj)s$': swc },
  // Only the innermost node_modules segment decides, so nested copies (a/node_modules/b) are transformed too.
  transformIgnorePatterns: [`/node_modules/(?!.*/node_modules/)(?!(${esmPackages.join('|')})/)`],
  moduleNameMapper: { '^@app/([a-z-]+)$': '<rootDir>/libs/$1/src' },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
  verbose: false,
};
