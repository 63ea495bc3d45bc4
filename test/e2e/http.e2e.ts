import { request as httpRequest } from 'node:http';
import { startTestApp, TestApp } from '../support/app';
import { ProbeModule } from '../support/probe.module';

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

interface ProblemBody {
  requestId: string;
  errors: { field: string; messages: string[] }[];
}

async function expectProblem(res: Response, status: number, code: string): Promise<ProblemBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as ProblemBody;
  expect(body).toMatchObject({
    status,
    code,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
    requestId: expect.any(String),
  });
  expect(JSON.stringify(body)).not.toMatch(/at \w+ \(|node_modules|\/srv\/|SELECT|stack/);
  return body;
}

describe('HTTP pipeline (e2e over HTTP)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ imports: [ProbeModule], env: { METRICS_TOKEN: 'metrics-token-for-tests-0123456789' } });
  });
  afterAll(() => t?.stop());

  it('answers liveness and readiness', async () => {
    expect((await t.request('/health/live')).status).toBe(200);
    const ready = await t.request('/health/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, migrations: { status: 'up' } },
    });
  });

  it('accepts a valid nested body', async () => {
    const res = await t.request('/v1/test-probe/echo', json({ name: 'a', item: { label: 'b', count: 2 } }));
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ name: 'a', item: { label: 'b', count: 2 } });
  });

  it('refuses malformed JSON with 400 MALFORMED_JSON', async () => {
    await expectProblem(await t.request('/v1/test-probe/echo', json('{"name": ')), 400, 'MALFORMED_JSON');
  });

  it('refuses unknown fields, also nested, listing them in errors[]', async () => {
    const body = await expectProblem(
      await t.request(
        '/v1/test-probe/echo',
        json({ name: 'a', admin: true, item: { label: 'b', count: 2, extra: 1 } }),
      ),
      400,
      'VALIDATION_FAILED',
    );
    const fields = body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['admin', 'item.extra']));
  });

  it('validates nested DTOs (type and range) without echoing values', async () => {
    const body = await expectProblem(
      await t.request('/v1/test-probe/echo', json({ name: 'a', item: { label: 'b', count: 'SECRETVALUE' } })),
      400,
      'VALIDATION_FAILED',
    );
    expect(body.errors).toEqual([expect.objectContaining({ field: 'item.count' })]);
    expect(JSON.stringify(body)).not.toContain('SECRETVALUE');
  });

  it('refuses an oversized body with 413', async () => {
    await expectProblem(
      await t.request('/v1/test-probe/echo', json({ name: 'x'.repeat(200_000), item: { label: 'b', count: 1 } })),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it.each([
    ['__proto__', '{"name":"a","item":{"label":"b","count":1},"__proto__":{"isAdmin":true}}'],
    [
      'constructor.prototype',
      '{"name":"a","item":{"label":"b","count":1},"constructor":{"prototype":{"isAdmin":true}}}',
    ],
  ])('refuses a %s body with 400 FORBIDDEN_PROPERTY', async (_name, raw) => {
    await expectProblem(await t.request('/v1/test-probe/echo', json(raw)), 400, 'FORBIDDEN_PROPERTY');
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('answers an unknown route with a 404 problem', async () => {
    await expectProblem(await t.request('/v1/nope'), 404, 'ROUTE_NOT_FOUND');
  });

  it('hides internals of unexpected errors and logs them with the request id', async () => {
    const res = await t.request('/v1/test-probe/boom');
    const body = await expectProblem(res, 500, 'INTERNAL_ERROR');
    expect(JSON.stringify(body)).not.toMatch(/hunter2|password|\/srv|users/);
    expect(res.headers.get('x-request-id')).toBe(body.requestId);
    expect(t.logs.lines.some((l) => l.includes(body.requestId) && l.includes('Unhandled error'))).toBe(true);
  });

  it('refuses credentials in the query string and does not log them', async () => {
    await expectProblem(await t.request('/v1/test-probe/db?access_token=leaky-token-value'), 400, 'CREDENTIALS_IN_URL');
    await expectProblem(await t.request('/health/live?x=sk_live_abc_def'), 400, 'CREDENTIALS_IN_URL');
    expect(t.logs.text).not.toContain('leaky-token-value');
    expect(t.logs.text).not.toContain('sk_live_abc_def');
  });

  it('keeps a well-formed incoming request id and makes one otherwise', async () => {
    const res = await t.request('/health/live', { headers: { 'x-request-id': 'nginx-req-12345678' } });
    expect(res.headers.get('x-request-id')).toBe('nginx-req-12345678');
    const bad = await t.request('/health/live', { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends the security headers', async () => {
    const res = await t.request('/health/live');
    expect(res.headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('permissions-policy')).toMatch(/camera=\(\).*microphone=\(\).*geolocation=\(\)/);
    expect(res.headers.get('cache-control')).toContain('no-store');
    // No CORS: a browser on another origin can never read an answer (credentials travel in headers, not cookies).
    const preflight = await t.request('/v1/me', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(
      (await t.request('/v1/me', { headers: { origin: 'https://evil.example' } })).headers.get(
        'access-control-allow-origin',
      ),
    ).toBeNull();
  });

  it('serves no TRACE (or any undeclared method) and lists no directories', async () => {
    // fetch() refuses to send TRACE, so node:http does.
    for (const [method, path] of [
      ['TRACE', '/v1/me'],
      ['TRACE', '/'],
      ['GET', '/v1/'],
      ['GET', '/node_modules/'],
      ['GET', '/dist/'],
    ] as const) {
      const { status, type } = await new Promise<{ status: number; type: string }>((resolve, reject) => {
        const req = httpRequest(`${t.url}${path}`, { method }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']) });
        });
        req.on('error', reject);
        req.end();
      });
      expect([404, 405]).toContain(status);
      expect(type).toContain('application/problem+json');
    }
  });

  it('logs one JSON line per request with route, status, latency and client ip, redacting the authorization header', async () => {
    await t.request('/v1/test-probe/db', { headers: { authorization: 'Bearer very-secret-session-token' } });
    const line = t.logs.lines
      .map((l) => JSON.parse(l))
      .findLast((l) => l.msg === 'request completed' && l.route === '/v1/test-probe/db');
    expect(line).toMatchObject({
      method: 'GET',
      status: 200,
      ip: '127.0.0.1',
      requestId: expect.any(String),
      latencyMs: expect.any(Number),
    });
    expect(t.logs.text).not.toContain('very-secret-session-token');
  });

  it('serves Swagger UI and the OpenAPI document', async () => {
    const ui = await t.request('/docs');
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger-ui');
    const doc = (await (await t.request('/docs/openapi.json')).json()) as { openapi: string; paths: object };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health/ready', '/health/live']));
  });

  it('does not serve /docs when DOCS_ENABLED is off (the production default)', async () => {
    const off = await startTestApp({ db: t.db, env: { DOCS_ENABLED: 'false' } });
    try {
      for (const path of ['/docs', '/docs/openapi.json', '/docs/swagger-ui-bundle.js']) {
        const res = await off.request(path);
        expect(res.status).toBe(404);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        const body = await res.text();
        expect(body).not.toContain('<html');
        expect(body).not.toContain('"openapi"');
      }
    } finally {
      await off.stop();
    }
  });

  it('answers /metrics to loopback with request counters by route', async () => {
    const res = await t.request('/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/health\/live",status="200"\} \d+/);
    expect(text).toContain('process_cpu_user_seconds_total');
    // The password hashing threads (issue 22): how many, how many busy, how many hashes wait.
    expect(Number(/^password_hash_threads (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^password_hashes_running \d+$/m);
    expect(text).toMatch(/^password_hashes_waiting 0$/m);
  });
});

describe('/metrics access from untrusted addresses', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { METRICS_ALLOW: '10.255.255.0/24', METRICS_TOKEN: 'metrics-token-for-tests-0123456789' },
    });
  });
  afterAll(() => t?.stop());

  it('is refused without the token and answered with it', async () => {
    await expectProblem(await t.request('/metrics'), 403, 'FORBIDDEN');
    await expectProblem(await t.request('/metrics', { headers: { authorization: 'Bearer wrong' } }), 403, 'FORBIDDEN');
    const ok = await t.request('/metrics', { headers: { authorization: 'Bearer metrics-token-for-tests-0123456789' } });
    expect(ok.status).toBe(200);
  });

  it('takes the client IP from X-Forwarded-For only as the trusted proxy saw it (rightmost untrusted hop)', async () => {
    // The test client is 127.0.0.1, which is a trusted proxy by default: X-Forwarded-For decides the client IP.
    const res = await t.request('/metrics', { headers: { 'x-forwarded-for': '10.255.255.7' } });
    expect(res.status).toBe(200);
    const spoofed = await t.request('/metrics', { headers: { 'x-forwarded-for': '10.255.255.7, 192.0.2.1' } });
    expect(spoofed.status).toBe(403);
  });
});
