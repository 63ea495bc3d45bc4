'use strict';
/**
 * Generates the client's types from the committed openapi.json: `src/schema.ts` (openapi-typescript) and
 * `src/error-codes.ts` (every problem `code` with its status, from the document's error table). Run with
 * `npm run client:generate`; test/e2e/client-drift.e2e.ts regenerates into a temporary directory and compares.
 *
 *   node packages/client/scripts/generate.cjs [outDir]
 */
const { execFileSync } = require('node:child_process');
const { readFileSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const root = resolve(__dirname, '../../..');

function errorCodesSource(document) {
  const rows = [...document.info.description.matchAll(/^\| `([A-Z0-9_]+)` \| (\d{3}) \| (.+) \|$/gm)];
  if (rows.length < 10) throw new Error('openapi.json: the error table in info.description was not found');
  const entries = rows.map(
    ([, code, status, title]) => `  ${code}: { status: ${status}, title: ${JSON.stringify(title)} },`,
  );
  return [
    '// Generated from openapi.json by packages/client/scripts/generate.cjs: do not edit (npm run client:generate).',
    '',
    '/** Every problem `code` the service answers, with its HTTP status and title. */',
    'export const ERROR_CODES = {',
    ...entries,
    '} as const;',
    '',
    'export type ErrorCode = keyof typeof ERROR_CODES;',
    '',
  ].join('\n');
}

function generate(outDir) {
  const documentPath = join(root, 'openapi.json');
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/openapi-typescript/bin/cli.js'),
      documentPath,
      '--default-non-nullable',
      'false',
      '-o',
      join(outDir, 'schema.ts'),
    ],
    { stdio: 'pipe' },
  );
  const document = JSON.parse(readFileSync(documentPath, 'utf8'));
  writeFileSync(join(outDir, 'error-codes.ts'), errorCodesSource(document));
}

generate(resolve(process.argv[2] ?? join(root, 'packages/client/src')));
