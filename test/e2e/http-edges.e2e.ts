import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { startTestApp, TestApp } from '../support/app';
import { bearer, jsonPost } from '../support/auth-helpers';
import { userWithScopes } from '../support/key-helpers';
import { ProbeModule } from '../support/probe.module';
import { ROOT } from '../support/process';

/**
 * The edges of the HTTP pipeline a hostile or careless client reaches first (issue 23, items 1–3, 7, 8): bodies
 * nested too deep, bodies with thousands of unknown keys, bodies in a type other than JSON, a known path with a method
 * it does not serve, malformed ids in a path.
 */
interface ProblemBody {
  status: number;
  code: string;
  detail: string;
  errors?: { field: string; messages: string[] }[];
  errorCount?: number;
}

async function expectProblem(res: Response, status: number, code: string): Promise<ProblemBody> {
  const text = await res.text();
  expect({ status: res.status, text: text.slice(0, 300) }).toMatchObject({ status });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text) as ProblemBody;
  expect(body).toMatchObject({ status, code });
  return body;
}

/** node:http, for methods fetch() refuses to send (TRACE) and for exact control of the headers. */
function raw(
  url: string,
  method: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const nested = (depth: number, open: string, close: string, leaf = '1') =>
  `${open.repeat(depth)}${leaf}${close.repeat(depth)}`;

describe('HTTP edges: hostile bodies, media types, methods, path ids (e2e)', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    // A body limit above the default 100 KiB, so 20,000 keys reach the validator instead of the 413.
    t = await startTestApp({
      imports: [ProbeModule],
      env: { IP_FAILURE_THRESHOLD: '10000', BODY_LIMIT_BYTES: String(256 * 1024) },
    });
    token = (await userWithScopes(t, ['certificates:read'])).token;
  });
  afterAll(() => t?.stop());

  describe('item 1: deeply nested JSON', () => {
    it.each([
      ['objects, 3,000 deep', nested(3000, '{"a":', '}')],
      ['arrays, 2,000 deep', `{"email":${nested(2000, '[', ']')},"password":"x"}`],
      ['objects, 10,000 deep', nested(10_000, '{"a":', '}')],
      ['arrays, 33 deep', `{"email":${nested(33, '[', ']')},"password":"x"}`],
    ])('refuses %s on POST /v1/auth/login with 400 JSON_TOO_DEEP, unauthenticated', async (_name, body) => {
      const problem = await expectProblem(
        await t.request('/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
        400,
        'JSON_TOO_DEEP',
      );
      expect(problem.detail).toMatch(/32/);
    });

    it('refuses a 5,000-deep medicalInfo on PUT /v1/profiles/me and accepts a 20-deep one', async () => {
      const deep = `{"displayName":"Ada","medicalInfo":${nested(5000, '{"a":', '}')}}`;
      await expectProblem(
        await t.request('/v1/profiles/me', {
          method: 'PUT',
          headers: bearer(token, { 'content-type': 'application/json' }),
          body: deep,
        }),
        400,
        'JSON_TOO_DEEP',
      );
      const fine = `{"displayName":"Ada","medicalInfo":${nested(20, '{"a":', '}')}}`;
      const res = await t.request('/v1/profiles/me', {
        method: 'PUT',
        headers: bearer(token, { 'content-type': 'application/json' }),
        body: fine,
      });
      expect(res.status).toBe(200);
    });

    it('counts brackets inside strings as text, not nesting', async () => {
      const body = JSON.stringify({ name: '{'.repeat(5000) + '['.repeat(5000), item: { label: 'b', count: 1 } });
      // The name is too long for the DTO: the answer is about that field, not about depth.
      const problem = await expectProblem(
        await t.request('/v1/test-probe/echo', jsonPost(JSON.parse(body))),
        400,
        'VALIDATION_FAILED',
      );
      expect(problem.errors?.map((e) => e.field)).toEqual(['name']);
    });

    it('keeps an unexpected error readable in the log (never "[object Object]")', () => {
      expect(t.logs.text).not.toContain('[object Object]');
      expect(t.logs.text).not.toContain('Maximum call stack');
    });
  });

  describe('item 2: validation answers do not amplify', () => {
    const withKeys = (n: number, base: Record<string, unknown>) => {
      const body: Record<string, unknown> = { ...base };
      for (let i = 0; i < n; i++) body[(1296 + i).toString(36)] = 1;
      return body;
    };
    const login = { email: 'a@example.com', password: 'orbit velvet cactus lantern' };

    it('refuses 12,700 unknown keys on login (100 KB) with 400 JSON_TOO_MANY_KEYS before validating them', async () => {
      const text = JSON.stringify(withKeys(12_700, login));
      expect(text.length).toBeLessThan(102_400); // under the default body limit
      const started = Date.now();
      const res = await t.request('/v1/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: text,
      });
      const elapsed = Date.now() - started;
      const answer = await res.clone().text();
      await expectProblem(res, 400, 'JSON_TOO_MANY_KEYS');
      expect(answer.length).toBeLessThan(1024);
      process.stdout.write(`12,700 unknown keys: ${answer.length} bytes in ${elapsed} ms\n`);
    });

    it('lists the first 20 of 990 unknown keys with the count, in under 16 KB', async () => {
      const res = await t.request('/v1/auth/login', jsonPost(withKeys(990, login)));
      const answer = await res.clone().text();
      const problem = await expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(answer.length).toBeLessThan(16 * 1024);
      expect(problem.errors).toHaveLength(20);
      expect(problem.errorCount).toBe(990);
      expect(problem.detail).toBe('990 field(s) are invalid; the first 20 are listed');
    });

    it('refuses 20,000 keys in a nested object with a short answer', async () => {
      const res = await t.request(
        '/v1/test-probe/echo',
        jsonPost({ name: 'a', item: withKeys(20_000, { label: 'b', count: 1 }) }),
      );
      const answer = await res.clone().text();
      await expectProblem(res, 400, 'JSON_TOO_MANY_KEYS');
      expect(answer.length).toBeLessThan(1024);
    });

    it('still takes a medicalInfo of 900 keys (the key limit is far above any real body)', async () => {
      const res = await t.request('/v1/profiles/me', {
        method: 'PUT',
        headers: bearer(token, { 'content-type': 'application/json' }),
        body: JSON.stringify({ displayName: 'Ada', medicalInfo: withKeys(900, {}) }),
      });
      expect(res.status).toBe(200);
    });

    it('cuts an unknown key as long as the body in the field name and its message', async () => {
      const res = await t.request(
        '/v1/test-probe/echo',
        jsonPost({ name: 'a', item: { label: 'b', count: 1 }, ['k'.repeat(120_000)]: 1 }),
      );
      const answer = await res.clone().text();
      const problem = await expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(answer.length).toBeLessThan(2048);
      expect(problem.errors![0].field).toMatch(/^k{120}…$/);
    });
  });

  describe('item 3: every media type other than JSON is 415', () => {
    const login = JSON.stringify({ email: 'someone@example.com', password: 'orbit velvet cactus lantern' });
    it.each([
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'application/xml',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/jsonx',
      'text/json',
    ])('POST /v1/auth/login as %s → 415 UNSUPPORTED_MEDIA_TYPE', async (type) => {
      const res = await raw(`${t.url}/v1/auth/login`, 'POST', { 'content-type': type }, login);
      expect({ status: res.status, text: res.text.slice(0, 200) }).toMatchObject({ status: 415 });
      expect(JSON.parse(res.text)).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 });
      expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
    });

    it('still takes application/json with or without charset=utf-8', async () => {
      for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON; charset="UTF-8"']) {
        const res = await raw(
          `${t.url}/v1/test-probe/echo`,
          'POST',
          { 'content-type': type },
          '{"name":"a","item":{"label":"b","count":1}}',
        );
        expect({ type, status: res.status }).toEqual({ type, status: 201 });
      }
    });

    it('refuses a body with no content type at all with 415', async () => {
      const res = await raw(`${t.url}/v1/auth/login`, 'POST', { 'content-length': String(login.length) }, login);
      expect(res.status).toBe(415);
      expect(JSON.parse(res.text)).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    });
  });

  describe('item 7: a known path with a method it does not serve', () => {
    it.each([
      ['PUT', '/v1/auth/login', 'POST'],
      ['GET', '/v1/auth/login', 'POST'],
      ['DELETE', '/v1/auth/register', 'POST'],
      ['PATCH', '/v1/profiles/me', 'DELETE, GET, HEAD, PUT'],
      ['POST', '/v1/api-keys/5b0e8c55-3a0c-4c1e-9a55-5f0e8c553a0c', 'DELETE, GET, HEAD, PATCH'],
      ['TRACE', '/v1/me', 'GET, HEAD'],
      ['TRACE', '/v1/auth/login', 'POST'],
      ['OPTIONS', '/v1/auth/login', 'POST'],
    ])('%s %s → 405 METHOD_NOT_ALLOWED, Allow: %s', async (method, path, allow) => {
      const res = await raw(`${t.url}${path}`, method, { 'x-forwarded-for': '203.0.113.9' });
      expect({ status: res.status, text: res.text.slice(0, 200) }).toMatchObject({ status: 405 });
      expect(res.headers.allow).toBe(allow);
      expect(JSON.parse(res.text)).toMatchObject({ code: 'METHOD_NOT_ALLOWED', status: 405 });
      expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
    });

    it.each([
      ['GET', '/v1/nope'],
      ['TRACE', '/v1/nope'],
      ['TRACE', '/'],
      ['PUT', '/v1/auth/login/extra'],
      // An empty id matches no route (although Fastify's findRoute would match it to /v1/api-keys/:id).
      ['GET', '/v1/api-keys/'],
      ['PATCH', '/v1/certificates/'],
    ])('%s %s (no such path) stays 404 ROUTE_NOT_FOUND', async (method, path) => {
      const res = await raw(`${t.url}${path}`, method);
      expect(res.status).toBe(404);
      expect(res.headers.allow).toBeUndefined();
      expect(JSON.parse(res.text)).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
    });
  });

  it('answers every documented path, asked with each method it does not serve, 405 with exactly its methods', async () => {
    const paths = (JSON.parse(readFileSync(join(ROOT, 'openapi.json'), 'utf8')) as { paths: Record<string, object> })
      .paths;
    const uuid = '5b0e8c55-3a0c-4c1e-9a55-5f0e8c553a0c';
    const matcher = (template: string) =>
      new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    let checked = 0;
    for (const template of Object.keys(paths)) {
      const path = template.replace(/\{[^}]+\}/g, uuid);
      // What routing serves for this concrete path: its own operations and those of any template it also matches
      // (DELETE /v1/auth/sessions/{id} serves DELETE /v1/auth/sessions/revoke-all, as a malformed id).
      const served = Object.entries(paths)
        .filter(([other]) => matcher(other).test(path))
        .flatMap(([, ops]) => Object.keys(ops).map((m) => m.toUpperCase()));
      if (served.includes('GET')) served.push('HEAD');
      const allow = [...new Set(served)].sort().join(', ');
      for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE']) {
        if (served.includes(method)) continue;
        const res = await raw(`${t.url}${path}`, method);
        expect({ method, path, status: res.status, allow: res.headers.allow }).toEqual({
          method,
          path,
          status: 405,
          allow,
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(150);
  });

  describe('item 8: malformed path ids name the parameter', () => {
    it.each([
      ['GET', '/v1/api-keys/not-a-uuid', 'id'],
      ['GET', '/v1/certificates/abc', 'id'],
      ['GET', '/v1/profiles/abc', 'userId'],
      ['DELETE', '/v1/auth/sessions/abc', 'id'],
    ])('%s %s → 400 VALIDATION_FAILED naming %s', async (method, path, field) => {
      const res = await t.request(path, { method, headers: bearer(token) });
      const problem = await expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(problem.errors).toEqual([{ field, messages: [`${field} must be a UUID`] }]);
    });
  });
});
