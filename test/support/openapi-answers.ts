import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Every successful answer a test gets from the app is checked against the committed OpenAPI document (openapi.json,
 * kept equal to the code by the drift test): the status must be documented, and the body must match its schema with
 * every object closed (`additionalProperties: false` unless the schema says otherwise), so a field the document does
 * not describe, a wrong type or a missing `nullable` fails the test that saw it. Each checked operation is recorded so
 * the run's end can tell which documented answers no test ever exercised.
 */
type Schema = Record<string, unknown>;

interface OperationDoc {
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

const ROOT = join(__dirname, '..', '..');
const DOC_ID = 'openapi';

let compiled: { ajv: Ajv; routes: { method: string; template: string; re: RegExp; op: OperationDoc }[] } | undefined;
const validators = new Map<string, ValidateFunction>();

/** Closes every object schema and points `$ref`s at the document registered in Ajv. */
function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (!node || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node as Schema)) {
    if (k === 'example' || k === 'examples') out[k] = v;
    else if (k === '$ref' && typeof v === 'string') out[k] = `${DOC_ID}${v}`;
    else if (k === 'properties')
      out[k] = Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, strict(s)]));
    else out[k] = strict(v);
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  // Nest's nullable reference, `{ nullable: true, type: 'object', allOf: [{ $ref }] }`: the reference, or null.
  if (out.nullable === true && Array.isArray(out.allOf)) return { anyOf: [{ allOf: out.allOf }, { type: 'null' }] };
  // OpenAPI 3.0 `nullable` with an `enum`: null must be one of the allowed values for Ajv.
  if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null))
    out.enum = [...(out.enum as unknown[]), null];
  return out;
}

function load() {
  if (compiled) return compiled;
  const doc = JSON.parse(readFileSync(join(ROOT, 'openapi.json'), 'utf8')) as {
    paths: Record<string, Record<string, OperationDoc>>;
    components: { schemas: Record<string, Schema> };
  };
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: DOC_ID, components: { schemas: strict(doc.components.schemas) } });
  const routes = Object.entries(doc.paths)
    .flatMap(([template, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        method: method.toUpperCase(),
        template,
        re: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
        op,
      })),
    )
    // A literal segment wins over a parameter (`/profiles/me` before `/profiles/{userId}`).
    .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
  compiled = { ajv, routes };
  return compiled;
}

export function coverageDir(): string {
  return join(tmpdir(), `security-backend-openapi-${process.env.JEST_RUN_ID ?? 'default'}`);
}

/** The documented operations, `METHOD template`, with the success statuses each documents. */
export function documentedSuccesses(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of load().routes)
    out.set(
      `${r.method} ${r.template}`,
      Object.keys(r.op.responses).filter((s) => s.startsWith('2')),
    );
  return out;
}

/** Checks one answer; throws with the operation, status and Ajv's findings when it is not what the document says. */
export async function checkAnswer(method: string, path: string, res: Response): Promise<void> {
  if (res.status < 200 || (res.status >= 300 && res.status < 400)) return;
  const { ajv, routes } = load();
  const url = new URL(path, 'http://x');
  const route = routes.find((r) => r.method === method && r.re.test(url.pathname));
  if (!route) return; // not an API operation (Swagger UI, /metrics, unknown routes)
  const where = `${method} ${route.template} → ${res.status}`;
  if (res.status >= 400) return checkProblem(where, route.op, res);
  const documented = route.op.responses[String(res.status)];
  if (!documented)
    throw new Error(
      `OpenAPI: ${where} is not a documented answer (documented: ${Object.keys(route.op.responses).join(', ')})`,
    );
  const text = await res.clone().text();
  const type = (res.headers.get('content-type') ?? '').split(';')[0].trim();
  const schema = documented.content?.[type]?.schema;
  // An NDJSON stream of no events is an empty body; any other documented body must come.
  const emptyStream = type === 'application/x-ndjson' && type in (documented.content ?? {});
  if (documented.content && Object.keys(documented.content).length && text.length === 0 && !emptyStream)
    throw new Error(
      `OpenAPI: ${where} documents a body (${Object.keys(documented.content).join(', ')}) but answered none`,
    );
  if (!schema) {
    if (text.length > 0)
      throw new Error(
        `OpenAPI: ${where} answered ${type || 'a body'} the document does not describe (documented: ${Object.keys(documented.content ?? {}).join(', ') || 'no body'})`,
      );
  } else if (type === 'application/json') {
    const key = `${where} ${type}`;
    let validate = validators.get(key);
    if (!validate) {
      validate = ajv.compile(strict(schema) as Schema);
      validators.set(key, validate);
    }
    const body: unknown = JSON.parse(text);
    if (!validate(body)) {
      const errors = (validate.errors ?? [])
        .slice(0, 8)
        .map(
          (e) =>
            `${e.instancePath || '(root)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` "${String(e.params.additionalProperty)}"` : ''}`,
        );
      throw new Error(
        `OpenAPI: ${where} does not match its documented schema:\n  ${errors.join('\n  ')}\n  body: ${text.slice(0, 600)}`,
      );
    }
  }
  mkdirSync(coverageDir(), { recursive: true });
  appendFileSync(join(coverageDir(), `${process.pid}.txt`), `${method} ${route.template} ${res.status}\n`);
}

/**
 * An error answer must be a Problem (closed schema) whose code the operation documents under that status, so the
 * "every error code it can return" list in Swagger is checked against what the tests provoke.
 */
async function checkProblem(where: string, op: OperationDoc, res: Response): Promise<void> {
  const { ajv } = load();
  const text = await res.clone().text();
  const type = (res.headers.get('content-type') ?? '').split(';')[0].trim();
  if (type !== 'application/problem+json')
    throw new Error(
      `OpenAPI: ${where} answered ${type || 'no content type'} instead of application/problem+json: ${text.slice(0, 300)}`,
    );
  const body = JSON.parse(text) as { code?: string };
  let validate = validators.get('Problem');
  if (!validate) {
    validate = ajv.compile({ $ref: `${DOC_ID}#/components/schemas/Problem` });
    validators.set('Problem', validate);
  }
  if (!validate(body))
    throw new Error(
      `OpenAPI: ${where} is not a documented Problem: ${ajv.errorsText(validate.errors)}\n  body: ${text.slice(0, 600)}`,
    );
  const documented = op.responses[String(res.status)] as { description?: string } | undefined;
  if (!documented?.description?.includes(`\`${body.code}\``)) {
    throw new Error(
      `OpenAPI: ${where} answered code ${body.code}, which the operation does not document under ${res.status} (${documented?.description ?? 'status not documented'})`,
    );
  }
}

/** What the whole run validated: `METHOD template` → statuses seen. */
export function validatedAnswers(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let files: string[] = [];
  try {
    files = readdirSync(coverageDir());
  } catch {
    return out;
  }
  for (const f of files) {
    for (const line of readFileSync(join(coverageDir(), f), 'utf8').split('\n').filter(Boolean)) {
      const [method, template, status] = line.split(' ');
      const k = `${method} ${template}`;
      out.set(k, (out.get(k) ?? new Set()).add(status));
    }
  }
  return out;
}

export function resetCoverage(): void {
  rmSync(coverageDir(), { recursive: true, force: true });
}
