import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';
import { ROOT } from '../support/process';

/**
 * No SQL is built from non-constant input. Every template literal passed to a query method (`query`, QueryBuilder
 * `where`/`orderBy`/…) may interpolate only: SCREAMING_CASE module constants, identifier-quoting calls (`q(…)`,
 * `escapeIdentifier(…)`), or an expression on a line marked `// sql-safe: <why>` (constant SQL fragments, allow-listed
 * column names). Values always go in as bind parameters ($1, :name). Sorting and filtering columns come from maps
 * keyed by allow-listed DTO values, never from the request.
 */
const SQL_METHODS = new Set([
  'query',
  'where',
  'andWhere',
  'orWhere',
  'having',
  'andHaving',
  'orderBy',
  'addOrderBy',
  'select',
  'addSelect',
  'innerJoin',
  'leftJoin',
  'setQuery',
]);
const QUOTING_CALLS = new Set(['q', 'escapeIdentifier', 'escapeLiteral', 'quoteIdentifier']);

export function unsafeInterpolations(fileName: string, source: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
  const lines = source.split('\n');
  const findings: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      SQL_METHODS.has(node.expression.name.text)
    ) {
      const arg = node.arguments[0];
      if (arg && ts.isTemplateExpression(arg)) {
        for (const span of arg.templateSpans) {
          const e = span.expression;
          const line = file.getLineAndCharacterOfPosition(e.getStart()).line;
          const marked = [
            lines[line],
            lines[line - 1] ?? '',
            lines[file.getLineAndCharacterOfPosition(node.getStart()).line - 1] ?? '',
          ].some((l) => l.includes('sql-safe:'));
          const constant = ts.isIdentifier(e) && /^[A-Z][A-Z0-9_]*$/.test(e.text);
          const quoted =
            ts.isCallExpression(e) &&
            ((ts.isIdentifier(e.expression) && QUOTING_CALLS.has(e.expression.text)) ||
              (ts.isPropertyAccessExpression(e.expression) && QUOTING_CALLS.has(e.expression.name.text)));
          if (!marked && !constant && !quoted) findings.push(`${fileName}:${line + 1} \${${e.getText()}}`);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return findings;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sources(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('SQL is never built from request input', () => {
  it('finds no interpolation of non-constant values into SQL in apps/ and libs/', () => {
    const findings = [...sources(join(ROOT, 'libs')), ...sources(join(ROOT, 'apps'))].flatMap((f) =>
      unsafeInterpolations(relative(ROOT, f), readFileSync(f, 'utf8')),
    );
    expect(findings).toEqual([]);
  });

  it('the check itself catches a value spliced into SQL (control)', () => {
    const bad =
      "export async function find(repo: any, name: string) {\n  return repo.query(`SELECT * FROM users WHERE email = '${name}'`);\n}\n";
    expect(unsafeInterpolations('bad.ts', bad)).toEqual(['bad.ts:2 ${name}']);
    const qb = 'qb.orderBy(`k.${sort}`, "ASC");';
    expect(unsafeInterpolations('qb.ts', qb)).toEqual(['qb.ts:1 ${sort}']);
    const ok = 'repo.query(`LISTEN ${CHANNEL}`); repo.query(`GRANT USAGE ON SCHEMA public TO ${q(role)}`);';
    expect(unsafeInterpolations('ok.ts', ok)).toEqual([]);
  });
});

describe('no dynamic code execution', () => {
  it('no eval, new Function or string timers in apps/ and libs/', () => {
    const findings: string[] = [];
    for (const f of [...sources(join(ROOT, 'libs')), ...sources(join(ROOT, 'apps'))]) {
      const file = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.ES2022, true);
      const visit = (node: ts.Node) => {
        if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'eval')
          findings.push(`${relative(ROOT, f)}: eval`);
        if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Function')
          findings.push(`${relative(ROOT, f)}: new Function`);
        if (
          ts.isCallExpression(node) &&
          ts.isIdentifier(node.expression) &&
          ['setTimeout', 'setInterval'].includes(node.expression.text) &&
          node.arguments[0] &&
          ts.isStringLiteralLike(node.arguments[0])
        )
          findings.push(`${relative(ROOT, f)}: string timer`);
        ts.forEachChild(node, visit);
      };
      visit(file);
    }
    expect(findings).toEqual([]);
  });
});
