/**
 * Module boundaries, checked in CI (`npm run lint:deps`):
 * - a lib is entered only through its index.ts (`@app/<lib>`), never by a deep import;
 * - libs never import apps; apps and tests compose libs;
 * - libs/crypto depends on nothing of ours;
 * - no cycles.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^(apps|libs)/' },
      to: { circular: true },
    },
    {
      name: 'no-deep-import-into-another-lib',
      comment: 'Import another lib only through its public entry, libs/<lib>/src/index.ts (@app/<lib>).',
      severity: 'error',
      from: { path: '^libs/([^/]+)/' },
      to: { path: '^libs/([^/]+)/src/.+', pathNot: ['^libs/$1/', '^libs/[^/]+/src/index\\.ts$'] },
    },
    {
      name: 'apps-use-lib-entry-points',
      severity: 'error',
      from: { path: '^apps/' },
      to: { path: '^libs/[^/]+/src/.+', pathNot: '^libs/[^/]+/src/index\\.ts$' },
    },
    {
      name: 'libs-do-not-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'crypto-imports-nothing-of-ours',
      severity: 'error',
      from: { path: '^libs/crypto/' },
      to: { path: '^(libs/(?!crypto/)|apps/)' },
    },
    {
      name: 'apps-do-not-import-each-other-except-cli-composing-api',
      comment: 'The CLI reuses the API composition (schema, modules); the API never imports the CLI.',
      severity: 'error',
      from: { path: '^apps/api/' },
      to: { path: '^apps/cli/' },
    },
    {
      name: 'not-to-test-from-product',
      severity: 'error',
      from: { path: '^(apps|libs)/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '(^dist/|\\.spec\\.ts$)' },
  },
};
