import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateOpenApiDocument, serialiseOpenApi } from '../../apps/api/src/openapi-document';

type Schema = {
  $ref?: string;
  allOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
  example?: unknown;
  default?: unknown;
  enum?: unknown[];
};
interface Operation {
  summary?: string;
  tags?: string[];
  parameters?: Array<{
    name: string;
    in: string;
    description?: string;
    example?: unknown;
    schema?: Schema & { format?: string; pattern?: string };
  }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}

const committed = readFileSync(join(__dirname, '..', '..', 'openapi.json'), 'utf8');
const doc = JSON.parse(committed) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
  tags?: Array<{ name: string; description?: string }>;
};
const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ where: `${method.toUpperCase()} ${path}`, op })),
);

describe('openapi.json', () => {
  it('matches what the app generates (run `npm run openapi` after changing routes)', async () => {
    expect(serialiseOpenApi(await generateOpenApiDocument())).toBe(committed);
  });

  it('documents for every operation a summary, a tag and its success answer with a schema', () => {
    const problems: string[] = [];
    for (const { where, op } of operations) {
      if (!op.summary) problems.push(`${where}: no summary`);
      if (!op.tags?.length) problems.push(`${where}: no tag`);
      const successes = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
      if (successes.length === 0) problems.push(`${where}: no success answer documented`);
      for (const [status, res] of successes) {
        if (!res.description) problems.push(`${where} ${status}: no description`);
        if (status !== '204' && !Object.values(res.content ?? {}).some((c) => c.schema))
          problems.push(`${where} ${status}: no body schema`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('tags every operation with one declared module tag, and declares only tags in use, each described', () => {
    const declared = (doc.tags ?? []).map((t) => t.name);
    expect(declared.length).toBeGreaterThanOrEqual(6);
    expect((doc.tags ?? []).filter((t) => !t.description).map((t) => t.name)).toEqual([]);
    const misTagged = operations
      .filter(({ op }) => op.tags?.length !== 1 || !declared.includes(op.tags[0]))
      .map(({ where, op }) => `${where}: ${op.tags?.join(',')}`);
    expect(misTagged).toEqual([]);
    const used = new Set(operations.map(({ op }) => op.tags?.[0]));
    expect(declared.filter((t) => !used.has(t))).toEqual([]);
  });

  it('describes every path parameter with an example, and types every id segment as a UUID', () => {
    const problems: string[] = [];
    for (const { where, op } of operations) {
      for (const p of op.parameters ?? []) {
        if (p.in !== 'path') continue;
        if (!p.description || (p.example ?? p.schema?.example) === undefined)
          problems.push(`${where} {${p.name}}: no description or example`);
        if (/id$/i.test(p.name) && p.schema?.format !== 'uuid')
          problems.push(`${where} {${p.name}}: not typed as a UUID`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('gives every property of every request and response schema an example (or a default, or a documented type of its own)', () => {
    const missing: string[] = [];
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      for (const [prop, s] of Object.entries(schema.properties ?? {})) {
        const ownType = s.$ref ?? s.allOf ?? s.items?.$ref;
        if (!ownType && s.example === undefined && s.default === undefined) missing.push(`${name}.${prop}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
