import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateOpenApiDocument, serialiseOpenApi } from '../../apps/api/src/openapi-document';

type Schema = { $ref?: string; allOf?: Schema[]; items?: Schema; properties?: Record<string, Schema>; example?: unknown; default?: unknown; enum?: unknown[] };
interface Operation {
  summary?: string;
  tags?: string[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}

const committed = readFileSync(join(__dirname, '..', '..', 'openapi.json'), 'utf8');
const doc = JSON.parse(committed) as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ where: `${method.toUpperCase()} ${path}`, op })));

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
        if (status !== '204' && !Object.values(res.content ?? {}).some((c) => c.schema)) problems.push(`${where} ${status}: no body schema`);
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
