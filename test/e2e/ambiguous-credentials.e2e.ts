import { request as httpRequest } from 'node:http';
import { Client } from 'pg';
import { KeyVerifier, UsageRecorder } from '@app/api-keys';
import { CredentialResolvers } from '@app/core';
import { startTestApp, TestApp } from '../support/app';
import { bearer, registerAndLogin } from '../support/auth-helpers';
import { adminQuery } from '../support/database';
import { createKey, CreatedKey, userWithScopes } from '../support/key-helpers';
import { checkAnswer } from '../support/openapi-answers';
import { TestClock } from '../support/test-clock';

/** Header lines as sent: [name, value] pairs, a name may repeat (fetch would merge them, node:http does not). */
type Lines = [string, string][];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * Issue 18, item 6: a request presenting more than one credential is refused with 400 AMBIGUOUS_CREDENTIALS before
 * anything is looked up, spent or audited, whatever each credential holds.
 */
describe('One credential per request (real PostgreSQL)', () => {
  let t: TestApp;
  const clock = new TestClock();

  beforeAll(async () => {
    // Jobs are run by hand: nothing in the background queries the database while a test watches for queries.
    t = await startTestApp({ clock, env: { API_KEY_JOBS_INTERVAL_MS: '0' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** Sends `lines` exactly as given (repeated names stay repeated lines) and checks the answer against openapi.json. */
  function send(path: string, lines: Lines, opts: { method?: string; body?: unknown } = {}): Promise<Answer> {
    const method = opts.method ?? 'GET';
    const url = new URL(path, t.url);
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    return new Promise<Answer>((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname + url.search, method });
      // setHeader ignores case, so lines are grouped by lower-cased name; an array goes out as one line per value.
      const byName = new Map<string, string[]>();
      for (const [name, value] of lines) {
        byName.set(name.toLowerCase(), [...(byName.get(name.toLowerCase()) ?? []), value]);
      }
      for (const [name, values] of byName) req.setHeader(name, values.length === 1 ? values[0] : values);
      if (body !== undefined) req.setHeader('content-type', 'application/json');
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    }).then(async (answer) => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(answer.headers)) {
        for (const v of Array.isArray(value) ? value : [value ?? '']) headers.append(name, v);
      }
      const status = answer.status;
      await checkAnswer(method, path, new Response(status === 204 ? null : answer.text, { status, headers }));
      return answer;
    });
  }

  interface Scenario {
    bob: { token: string; userId: string };
    alice: { token: string; userId: string };
    /** Alice's key: rate-limited and with a quota, so anything spent shows. */
    aliceKey: CreatedKey;
    bobKey: CreatedKey;
    ids: string[];
  }

  /** Bob signed in, Alice with a key; both may read certificates, so a guessed answer would be served. */
  async function scenario(): Promise<Scenario> {
    const bob = await userWithScopes(t, ['certificates:read']);
    const alice = await userWithScopes(t, ['certificates:read']);
    const aliceKey = await createKey(t, alice.token, {
      scopes: ['profiles:read', 'certificates:read'],
      rateLimit: { limit: 5, windowSeconds: 3600 },
      quota: { remaining: 5 },
    });
    const bobKey = await createKey(t, bob.token, { scopes: ['profiles:read', 'certificates:read'] });
    // One legitimate use of each key, so they are in the verifier's cache (a cache hit must not happen either).
    expect((await t.request('/v1/me', { headers: { 'x-api-key': bobKey.key } })).status).toBe(200);
    expect((await t.request('/v1/me', { headers: { 'x-api-key': aliceKey.key } })).status).toBe(200);
    // Past the sessions' last-seen resolution: a session resolved from now on would move its last_seen_at.
    clock.advanceMinutes(2);
    return { bob, alice, aliceKey, bobKey, ids: [bob.userId, alice.userId, aliceKey.id, bobKey.id] };
  }

  /** What a served, looked-up, spent or audited request would move. */
  async function footprint(s: Scenario) {
    await t.app.get(UsageRecorder).flush();
    const keys = await adminQuery<Record<string, unknown>>(
      t.db,
      `SELECT id, quota_remaining, last_used_at, last_used_ip, total_requests FROM api_keys WHERE id = ANY($1) ORDER BY id`,
      [[s.aliceKey.id, s.bobKey.id]],
    );
    const daily = await adminQuery(t.db, `SELECT * FROM api_key_usage_daily WHERE key_id = ANY($1) ORDER BY key_id`, [
      [s.aliceKey.id, s.bobKey.id],
    ]);
    const sessions = await adminQuery(
      t.db,
      `SELECT id, last_seen_at FROM sessions WHERE user_id = ANY($1) ORDER BY id`,
      [[s.bob.userId, s.alice.userId]],
    );
    const audit = await adminQuery<{ n: string }>(
      t.db,
      `SELECT count(*) AS n FROM audit_events WHERE actor_id = ANY($1) OR target_id = ANY($1)`,
      [s.ids],
    );
    return { keys, daily, sessions, audit: audit[0].n };
  }

  /**
   * Runs `attempts` while watching every database query (a session lookup is one), every key verification (a cache
   * hit included) and every choice of a credential resolver (spies that call through: the real parts answer), then
   * checks each answer is the 400 problem and nothing about Bob or Alice moved: keys' quota, usage and last use,
   * sessions' last-seen, audit rows naming either, and Alice's rate limit (her next real use sees it untouched).
   */
  async function expectRefusedUntouched(s: Scenario, attempts: () => Promise<Answer[]>) {
    const before = await footprint(s);
    const queries = jest.spyOn(Client.prototype, 'query');
    const keyLookups = jest.spyOn(t.app.get(KeyVerifier), 'verify');
    const resolverChoices = jest.spyOn(t.app.get(CredentialResolvers), 'find');
    let answers: Answer[];
    try {
      answers = await attempts();
      expect(queries).not.toHaveBeenCalled();
      expect(keyLookups).not.toHaveBeenCalled();
      expect(resolverChoices).not.toHaveBeenCalled();
    } finally {
      queries.mockRestore();
      keyLookups.mockRestore();
      resolverChoices.mockRestore();
    }
    expect(answers.length).toBeGreaterThan(0);
    for (const a of answers) {
      expect(a.status).toBe(400);
      expect(a.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(a.text)).toMatchObject({ status: 400, code: 'AMBIGUOUS_CREDENTIALS' });
      // Served as nobody: neither user's id, no key identity, no rate-limit state of a key.
      for (const id of s.ids) expect(a.text).not.toContain(id);
      expect(a.headers['x-key-id']).toBeUndefined();
      expect(a.headers['ratelimit-remaining']).toBeUndefined();
    }
    await new Promise((r) => setTimeout(r, 50)); // anything recorded off the request path would be on its way now
    expect(await footprint(s)).toEqual(before);
    // The rate limit and quota are intact: Alice's next real use is her second of five.
    const next = await send('/v1/me', [['x-api-key', s.aliceKey.key]]);
    expect(next.status).toBe(200);
    expect(next.headers['ratelimit-remaining']).toBe('3');
    await t.app.get(UsageRecorder).flush();
    const [row] = await adminQuery<{ quota_remaining: number }>(
      t.db,
      'SELECT quota_remaining FROM api_keys WHERE id = $1',
      [s.aliceKey.id],
    );
    expect(row.quota_remaining).toBe(3);
  }

  it("Bob's session with Alice's key on GET /v1/me and a scoped route: 400, served as neither", async () => {
    const s = await scenario();
    await expectRefusedUntouched(s, async () => {
      const out: Answer[] = [];
      for (const path of ['/v1/me', '/v1/certificates']) {
        out.push(
          await send(path, [
            ['authorization', `Bearer ${s.bob.token}`],
            ['x-api-key', s.aliceKey.key],
          ]),
        );
        out.push(
          await send(path, [
            ['X-API-Key', s.aliceKey.key],
            ['Authorization', `Bearer ${s.bob.token}`],
          ]),
        );
      }
      // Through fetch too (what most clients use), so the answer is checked by the usual path.
      const viaFetch = await t.request('/v1/me', { headers: { ...bearer(s.bob.token), 'x-api-key': s.aliceKey.key } });
      out.push({ status: viaFetch.status, headers: Object.fromEntries(viaFetch.headers), text: await viaFetch.text() });
      return out;
    });
  });

  it('a key in both headers, two keys or the same key twice: 400 whatever each holds', async () => {
    const s = await scenario();
    await expectRefusedUntouched(s, async () =>
      Promise.all([
        send('/v1/me', [
          ['authorization', `Bearer ${s.bobKey.key}`],
          ['x-api-key', s.aliceKey.key],
        ]),
        send('/v1/me', [
          ['authorization', `Bearer ${s.aliceKey.key}`],
          ['x-api-key', s.aliceKey.key],
        ]),
        // An invalid credential beside a valid one is still two.
        send('/v1/me', [
          ['authorization', 'Basic dXNlcjpwdw=='],
          ['x-api-key', s.aliceKey.key],
        ]),
        send('/v1/me', [
          ['authorization', `Bearer ${s.bob.token}`],
          ['x-api-key', 'sk_live_not_a_key'],
        ]),
        // Repeated X-API-Key lines (Node joins them with ", " in request.headers).
        send('/v1/certificates', [
          ['x-api-key', s.bobKey.key],
          ['x-api-key', s.aliceKey.key],
        ]),
        send('/v1/certificates', [
          ['x-api-key', s.aliceKey.key],
          ['X-Api-Key', s.aliceKey.key],
        ]),
        // Two keys in one line, as a proxy that joins repeated lines sends them.
        send('/v1/certificates', [['x-api-key', `${s.aliceKey.key}, ${s.bobKey.key}`]]),
        // Repeated Authorization lines: Node keeps only the first in request.headers (this was served as Bob).
        send('/v1/me', [
          ['authorization', `Bearer ${s.bob.token}`],
          ['authorization', `Bearer ${s.aliceKey.key}`],
        ]),
        send('/v1/me', [
          ['authorization', `Bearer ${s.aliceKey.key}`],
          ['authorization', `Bearer ${s.aliceKey.key}`],
        ]),
      ]),
    );
  });

  it('session-only, key-only and optional routes: 400 rather than choosing the credential the route takes', async () => {
    const s = await scenario();
    const both: Lines = [
      ['authorization', `Bearer ${s.bob.token}`],
      ['x-api-key', s.aliceKey.key],
    ];
    await expectRefusedUntouched(s, async () => [
      // Session-only: Bob's sessions are not listed, Bob is not signed out.
      await send('/v1/auth/sessions', both),
      await send('/v1/auth/logout', both, { method: 'POST' }),
      // Key-only (nginx auth_request): Alice's key is not introspected, its id and owner not told.
      await send('/v1/auth/introspect', both),
      await send('/v1/auth/introspect', [
        ['x-api-key', s.aliceKey.key],
        ['x-api-key', s.bobKey.key],
      ]),
      // Optional authentication: not answered as anonymous either.
      await send('/v1/scopes', both),
    ]);
    // Bob's session survived the logout attempt.
    expect((await send('/v1/auth/sessions', [['authorization', `Bearer ${s.bob.token}`]])).status).toBe(200);
  });

  it('verification: the key in the body is not a credential of the request; two in the headers are refused', async () => {
    const s = await scenario();
    const verifier = await userWithScopes(t, ['keys:verify']);
    const callerKey = await createKey(t, verifier.token, { scopes: ['keys:verify'] });
    const body = { key: s.bobKey.key, requiredScopes: ['profiles:read'] };
    // One caller credential and a key in the body: answered.
    const ok = await send('/v1/keys/verify', [['x-api-key', callerKey.key]], { method: 'POST', body });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toMatchObject({ valid: true });
    await expectRefusedUntouched(s, async () => [
      // The caller's key and Bob's session: the body's key (Alice's) is never verified or spent.
      await send(
        '/v1/keys/verify',
        [
          ['x-api-key', callerKey.key],
          ['authorization', `Bearer ${s.bob.token}`],
        ],
        {
          method: 'POST',
          body: { key: s.aliceKey.key },
        },
      ),
      await send(
        '/v1/keys/verify',
        [
          ['x-api-key', callerKey.key],
          ['x-api-key', s.aliceKey.key],
        ],
        {
          method: 'POST',
          body: { key: s.aliceKey.key },
        },
      ),
    ]);
  });

  it('public routes ignore credentials, however many: a stale token beside a key does not block a login', async () => {
    const s = await scenario();
    const { user } = await registerAndLogin(t);
    const login = await send(
      '/v1/auth/login',
      [
        ['authorization', `Bearer ${s.bob.token}`],
        ['x-api-key', s.aliceKey.key],
        ['x-api-key', s.bobKey.key],
      ],
      { method: 'POST', body: { email: user.email, password: user.password } },
    );
    expect(login.status).toBe(200);
    expect(JSON.parse(login.text)).toMatchObject({ token: expect.any(String) });
    const health = await send('/health/live', [
      ['authorization', `Bearer ${s.bob.token}`],
      ['x-api-key', s.aliceKey.key],
    ]);
    expect(health.status).toBe(200);
  });

  it('one credential is still served, beside an empty header line too (control)', async () => {
    const s = await scenario();
    const asBob = await send('/v1/me', [['authorization', `Bearer ${s.bob.token}`]]);
    expect(asBob.status).toBe(200);
    expect(JSON.parse(asBob.text)).toMatchObject({ id: s.bob.userId });
    const asAlice = await send('/v1/me', [
      ['authorization', ''],
      ['x-api-key', s.aliceKey.key],
    ]);
    expect(asAlice.status).toBe(200);
    expect(JSON.parse(asAlice.text)).toMatchObject({ id: s.alice.userId });
    const asAliceByBearer = await send('/v1/me', [
      ['authorization', `Bearer ${s.aliceKey.key}`],
      ['x-api-key', ''],
    ]);
    expect(asAliceByBearer.status).toBe(200);
    expect(JSON.parse(asAliceByBearer.text)).toMatchObject({ id: s.alice.userId });
  });
});
