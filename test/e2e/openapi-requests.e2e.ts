import { randomUUID } from 'node:crypto';
import document from '../../openapi.json';
import { startTestApp, TestApp } from '../support/app';
import { bearer, freshIp } from '../support/auth-helpers';
import { userWithScopes } from '../support/key-helpers';

type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  pattern?: string;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  allOf?: Schema[];
  additionalProperties?: unknown;
};
type Operation = {
  operationId: string;
  parameters?: { name: string; in: string; example?: unknown; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  security?: Record<string, string[]>[];
};

const schemas = (document as unknown as { components: { schemas: Record<string, Schema> } }).components.schemas;
const resolve = (s: Schema): Schema => {
  if (s.$ref) return resolve(schemas[s.$ref.replace('#/components/schemas/', '')]);
  if (s.allOf?.length === 1) return { ...resolve(s.allOf[0]), ...s, allOf: undefined };
  return s;
};

/**
 * A value for a schema: its documented example when `useExamples` (the document's promise to a reader), else one built
 * from the type and constraints alone (what a generator makes of the schema). Strings with a pattern and no example
 * cannot be built from the type: the test names them, so the document gains an example.
 */
function valueOf(schema: Schema, where: string, useExamples: boolean, all: boolean): unknown {
  const s = resolve(schema);
  if (useExamples && s.example !== undefined) return s.example;
  if (s.enum?.length) return s.enum[0];
  if (s.default !== undefined) return s.default;
  switch (s.type) {
    case 'integer':
    case 'number':
      return Math.max(s.minimum ?? 1, Math.min(s.maximum ?? 1, 1));
    case 'boolean':
      return true;
    case 'array':
      if (s.example !== undefined && resolve(s.items ?? {}).type === 'string' && !resolve(s.items ?? {}).enum)
        return s.example;
      return Array.from({ length: s.minItems ?? 1 }, () => valueOf(s.items ?? {}, `${where}[]`, useExamples, all));
    case 'string':
      // A string's constraints (pattern, encoding, address syntax) are not all expressible as schema: where the
      // document gives an example the built body uses it, so the example is what is checked.
      if (s.example !== undefined) return s.example;
      if (s.format === 'email') return `gen-${randomUUID().slice(0, 8)}@example.com`;
      if (s.format === 'uuid') return randomUUID();
      if (s.format === 'date-time') return new Date().toISOString();
      if (s.format === 'date') return '1990-01-01';
      if (s.pattern || s.format)
        throw new Error(`${where}: a ${s.format ?? `pattern ${s.pattern}`} string without an example`);
      return 'generated value '.repeat(4).slice(0, Math.min(s.maxLength ?? 40, Math.max(s.minLength ?? 1, 24)));
    default:
      if (s.properties) return bodyOf(s, where, useExamples, all);
      return {};
  }
}

/**
 * Properties marked `x-exactly-one-of: <group>` exclude each other, and one of the group is needed: a body holds the
 * group's first member only (as a client sends one factor, not all).
 */
function bodyOf(schema: Schema, where: string, useExamples: boolean, all: boolean): Record<string, unknown> {
  const s = resolve(schema);
  const body: Record<string, unknown> = {};
  const groupsTaken = new Set<string>();
  for (const [name, prop] of Object.entries(s.properties ?? {})) {
    const group = (prop as { 'x-exactly-one-of'?: string })['x-exactly-one-of'];
    if (group && groupsTaken.has(group)) continue;
    const wanted =
      group !== undefined ||
      (all ? resolve(prop).example !== undefined || s.required?.includes(name) : s.required?.includes(name));
    if (!wanted) continue;
    if (group) groupsTaken.add(group);
    body[name] = valueOf(prop, `${where}.${name}`, useExamples, all);
  }
  return body;
}

/** Answers that mean the body did not get past the schema checks (anything else is the service's business). */
const SCHEMA_REFUSALS = ['VALIDATION_FAILED', 'FORBIDDEN_PROPERTY', 'MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE'];

/**
 * Every operation that takes a body, sent its documented example (every property that has one) and bodies built
 * from its schema (the required properties only, then every documented one): the service must accept each as
 * well-formed. A schema that drifts from the DTO (a renamed, retyped or newly required field, a constraint the
 * document does not state) fails here.
 */
describe('the OpenAPI request schemas match what the service accepts', () => {
  let t: TestApp;
  let admin: { token: string; userId: string };

  beforeAll(async () => {
    t = await startTestApp({ env: { API_KEY_JOBS_INTERVAL_MS: '0' } });
    admin = await userWithScopes(t, ['admin:all']);
  });
  afterAll(() => t?.stop());

  const operations: [string, string, Operation][] = [];
  for (const [path, item] of Object.entries(document.paths as unknown as Record<string, Record<string, Operation>>))
    for (const [method, op] of Object.entries(item))
      if (op.requestBody?.content['application/json']) operations.push([method.toUpperCase(), path, op]);

  it('has bodies to check', () => {
    expect(operations.length).toBeGreaterThanOrEqual(20);
  });

  it.each(operations)('%s %s: the example and schema-built bodies pass validation', async (method, path, op) => {
    const schema = op.requestBody!.content['application/json'].schema;
    const url = path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const p = op.parameters?.find((x) => x.name === name);
      return String(p?.example ?? p?.schema?.example ?? randomUUID());
    });
    const bodies: [string, unknown][] = [
      ['documented example', bodyOf(schema, op.operationId, true, true)],
      ['required fields built from the schema', bodyOf(schema, op.operationId, false, false)],
      ['every documented field, built from the schema where it can be', bodyOf(schema, op.operationId, false, true)],
    ];
    for (const [kind, body] of bodies) {
      const headers = { 'content-type': 'application/json', 'x-forwarded-for': freshIp() };
      const res = await t.request(`${url}`, {
        method,
        headers: op.security?.length ? bearer(admin.token, headers) : headers,
        body: JSON.stringify(body),
      });
      const text = await res.text();
      const code = res.status >= 400 ? (JSON.parse(text) as { code?: string }).code : undefined;
      expect([kind, body, res.status, SCHEMA_REFUSALS.includes(code ?? '') ? text : 'accepted']).toEqual([
        kind,
        body,
        res.status,
        'accepted',
      ]);
    }
  });
});
