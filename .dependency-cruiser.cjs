/**
 * Module boundaries, checked in CI (`npm run lint:deps`, over apps, libs and test):
 * - a lib is entered only through its index.ts (`@app/<lib>`), never by a deep import; tests likewise, except
 *   test/support and test/fakes, the places that may reach into a lib's internals for tests;
 * - the allowed directions between bounded contexts are the table below, written once: every other lib-to-lib
 *   import is an error (co-located specs included);
 * - inside a lib, controllers never import repositories and repositories never import services;
 * - libs never import apps or tests; the API never imports the CLI; no cycles.
 *
 * README's architecture map shows the same table; test/integration/docs-links.test.ts keeps the two equal.
 *
 * Apps (api, cli) and tests compose any lib; the CLI may reuse the API's composition.
 */
const ALLOWED_LIB_IMPORTS = {
  crypto: [],
  core: ['crypto'],
  audit: ['core'],
  notifications: ['core'],
  auth: ['core', 'crypto', 'audit', 'notifications'],
  'api-keys': ['core', 'crypto', 'audit', 'notifications', 'auth'],
  certificates: ['core', 'audit', 'notifications'],
  encryption: ['core', 'crypto', 'audit'],
  profiles: ['core', 'crypto'],
  mfa: ['core', 'crypto', 'audit', 'notifications', 'auth'],
};

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

/** One rule per lib: it may import itself and the libs its row lists, nothing else under libs/. */
const directionRules = Object.entries(ALLOWED_LIB_IMPORTS).map(([lib, allowed]) => ({
  name: `lib-direction-${lib}`,
  comment: `libs/${lib} may import only: ${allowed.length ? allowed.join(', ') : 'nothing of ours'} (see the table at the top).`,
  severity: 'error',
  from: { path: `^libs/${escape(lib)}/` },
  to: { path: '^libs/', pathNot: [lib, ...allowed].map((l) => `^libs/${escape(l)}/`) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^(apps|libs)/' },
      to: { circular: true },
    },
    {
      name: 'every-lib-is-in-the-direction-table',
      comment: 'A new lib gets its row in ALLOWED_LIB_IMPORTS (and in the README table) before it can be imported.',
      severity: 'error',
      from: { path: '^(apps|libs|test)/' },
      to: {
        path: '^libs/',
        pathNot: Object.keys(ALLOWED_LIB_IMPORTS).map((l) => `^libs/${escape(l)}/`),
      },
    },
    ...directionRules,
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
      name: 'tests-use-lib-entry-points',
      comment:
        'Tests import a lib through @app/<lib>. Only test/support and test/fakes (in-memory repositories) reach into a lib.',
      severity: 'error',
      from: { path: '^test/', pathNot: '^test/(support|fakes)/' },
      to: { path: '^libs/[^/]+/src/.+', pathNot: '^libs/[^/]+/src/index\\.ts$' },
    },
    {
      name: 'controllers-do-not-import-repositories',
      comment: 'A controller calls services; data access stays behind them.',
      severity: 'error',
      from: { path: '\\.controller\\.ts$' },
      to: { path: '\\.repository\\.ts$' },
    },
    {
      name: 'repositories-do-not-import-services',
      comment: 'A repository is data access only; the rules that use it live in services.',
      severity: 'error',
      from: { path: '\\.repository\\.ts$' },
      to: { path: '\\.service\\.ts$' },
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
      to: { path: '^(libs/(?!crypto/)|apps/|test/)' },
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
      comment: 'Product code never imports tests; a co-located spec may use test/support helpers.',
      severity: 'error',
      from: { path: '^(apps|libs)/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^dist/' },
  },
};
