import { Client } from 'pg';
import { ApiKeyJobs, KeyVerifier, UsageRecorder } from '@app/api-keys';
import { AdminUsersService } from '@app/auth';
import { startTestApp, TestApp } from '../support/app';
import { bearer, jsonPost, registerAndLogin } from '../support/auth-helpers';
import { adminQuery } from '../support/database';
import { createKey, problem, userWithScopes, withKey } from '../support/key-helpers';
import { TestClock } from '../support/test-clock';

const DAY = 86_400_000;

describe('API keys over HTTP (real PostgreSQL)', () => {
  let t: TestApp;
  const clock = new TestClock();
  const issued: string[] = [];

  beforeAll(async () => {
    // Jobs are run by hand here, so nothing in the background queries the database while a test counts queries.
    t = await startTestApp({ clock, env: { API_KEY_JOBS_INTERVAL_MS: '0' } });
  });
  afterAll(async () => {
    // No full key may ever reach a log line, whatever happened in this suite.
    for (const key of issued) expect(t.logs.text).not.toContain(key.slice(20));
    await t?.stop();
  });

  async function newKey(token: string, body: Record<string, unknown> = {}) {
    const k = await createKey(t, token, body);
    issued.push(k.key);
    return k;
  }

  describe('creating and reading', () => {
    it('answers 201 with the full key once, a prefix, the expiry and a warning; reads never show it', async () => {
      const { token } = await registerAndLogin(t);
      const created = await newKey(token, { name: 'ci deploy', expiresInDays: 30 });
      expect(created.key).toMatch(/^sk_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}$/);
      expect(created.key.startsWith(created.prefix)).toBe(true);
      expect(created.warning).toMatch(/only once/);
      expect(new Date(created.expiresAt).getTime() - clock.nowMs()).toBeGreaterThan(29.9 * DAY);
      const one = await t.request(`/v1/api-keys/${created.id}`, { headers: bearer(token) });
      const list = await t.request('/v1/api-keys?status=active&sort=-createdAt', { headers: bearer(token) });
      for (const res of [one, list]) {
        expect(res.status).toBe(200);
        const text = await res.text();
        expect(text).toContain(created.prefix);
        expect(text).not.toContain(created.key);
        expect(text).not.toMatch(/hash/i);
      }
      const [row] = await adminQuery<{ hash: string }>(t.db, 'SELECT hash FROM api_keys WHERE id = $1', [created.id]);
      expect(row.hash).toMatch(/^\$hmac-sha256\$v=1\$/);
      expect(row.hash).not.toContain(created.key.slice(21));
    });

    it('lists with status filter, allow-listed sort and cursor paging', async () => {
      const { token } = await registerAndLogin(t);
      const ids = [];
      for (const name of ['ccc', 'aaa', 'bbb']) ids.push((await newKey(token, { name })).id);
      await t.request(`/v1/api-keys/${ids[0]}`, { method: 'DELETE', headers: bearer(token) });
      const page1 = (await (await t.request('/v1/api-keys?sort=name&limit=2', { headers: bearer(token) })).json()) as {
        items: { name: string }[];
        nextCursor: string;
      };
      expect(page1.items.map((k) => k.name)).toEqual(['aaa', 'bbb']);
      const page2 = (await (
        await t.request(`/v1/api-keys?sort=name&limit=2&cursor=${page1.nextCursor}`, { headers: bearer(token) })
      ).json()) as { items: { name: string }[]; nextCursor: null };
      expect(page2).toEqual({ items: [expect.objectContaining({ name: 'ccc', status: 'revoked' })], nextCursor: null });
      const active = (await (await t.request('/v1/api-keys?status=active', { headers: bearer(token) })).json()) as {
        items: unknown[];
      };
      expect(active.items).toHaveLength(2);
      const badSort = await t.request('/v1/api-keys?sort=hash', { headers: bearer(token) });
      expect((await problem(badSort)).code).toBe('VALIDATION_FAILED');
    });

    it('validates input: name, scopes from the catalogue, CIDRs, nested limits, unknown fields', async () => {
      const { token } = await registerAndLogin(t);
      const cases: Record<string, unknown>[] = [
        { name: 'ab' },
        { scopes: ['profiles:everything'] },
        { scopes: [] },
        { ipAllowlist: ['10.0.0.0/33'] },
        { ipAllowlist: ['not-an-ip'] },
        { rateLimit: { limit: 0, windowSeconds: 60 } },
        { rateLimit: { limit: 5 } },
        { quota: { remaining: -1 } },
        { quota: { remaining: 5, refill: { amount: 5, interval: 'hour' } } },
        { expiresInDays: 366 },
        { environment: 'prod' },
        { ownerId: '00000000-0000-4000-8000-000000000000' },
      ];
      for (const extra of cases) {
        const res = await t.request(
          '/v1/api-keys',
          jsonPost({ name: 'valid name', scopes: ['profiles:read'], ...extra }, bearer(token)),
        );
        expect({ extra, status: res.status }).toEqual({ extra, status: 400 });
        const body = await problem(res);
        expect(body.code).toBe('VALIDATION_FAILED');
      }
    });

    it('refuses scopes the owner does not hold (SCOPE_NOT_HELD), and a key cannot manage keys (SESSION_REQUIRED)', async () => {
      const { token } = await registerAndLogin(t);
      const res = await t.request(
        '/v1/api-keys',
        jsonPost({ name: 'escalate', scopes: ['profiles:read', 'admin:all'] }, bearer(token)),
      );
      expect(await problem(res)).toMatchObject({ status: 403, code: 'SCOPE_NOT_HELD', scopes: ['admin:all'] });
      const key = await newKey(token);
      const viaKey = await t.request(
        '/v1/api-keys',
        jsonPost({ name: 'minted by a key', scopes: ['profiles:read'] }, { authorization: `Bearer ${key.key}` }),
      );
      expect(await problem(viaKey)).toMatchObject({ status: 403, code: 'SESSION_REQUIRED' });
      const list = await t.request('/v1/api-keys', { headers: { 'x-api-key': key.key } });
      expect(list.status).toBe(403);
    });

    it('another user’s key answers 404 (not 403); admin:all sees and revokes it, and the owner is told', async () => {
      const owner = await registerAndLogin(t);
      const other = await registerAndLogin(t);
      const admin = await userWithScopes(t, ['admin:all']);
      const key = await newKey(owner.token);
      for (const [method, path] of [
        ['GET', ''],
        ['PATCH', ''],
        ['DELETE', ''],
        ['POST', '/rotate'],
        ['GET', '/usage'],
      ]) {
        const withBody = method === 'PATCH' || method === 'POST';
        const res = await t.request(`/v1/api-keys/${key.id}${path}`, {
          method,
          headers: { ...bearer(other.token), ...(withBody ? { 'content-type': 'application/json' } : {}) },
          body: withBody ? '{}' : undefined,
        });
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 404 });
      }
      expect(
        (await t
          .request(`/v1/api-keys?ownerId=${owner.userId}`, { headers: bearer(other.token) })
          .then((r) => r.json())) as unknown,
      ).toEqual({ items: [], nextCursor: null });
      expect((await t.request(`/v1/api-keys/${key.id}`, { headers: bearer(admin.token) })).status).toBe(200);
      expect(
        (await t.request(`/v1/api-keys/${key.id}`, { method: 'DELETE', headers: bearer(admin.token) })).status,
      ).toBe(204);
      const mails = await adminQuery<{ kind: string; recipient: string; body: string }>(
        t.db,
        `SELECT kind, recipient, body FROM outbox_messages WHERE kind = 'api_key.revoked_by_admin' AND recipient = $1`,
        [owner.user.email],
      );
      expect(mails).toHaveLength(1);
      expect(mails[0].body).toContain(key.prefix);
    });

    it('a rotation by admin:all tells the owner by mail; the owner’s own rotation does not', async () => {
      const owner = await registerAndLogin(t);
      const admin = await userWithScopes(t, ['admin:all']);
      const own = await newKey(owner.token);
      expect((await t.request(`/v1/api-keys/${own.id}/rotate`, jsonPost({}, bearer(owner.token)))).status).toBe(201);
      const key = await newKey(owner.token);
      const res = await t.request(
        `/v1/api-keys/${key.id}/rotate`,
        jsonPost({ gracePeriodHours: 2 }, bearer(admin.token)),
      );
      expect(res.status).toBe(201);
      const successor = (await res.json()) as { prefix: string; previous: { graceEndsAt: string } };
      const mails = await adminQuery<{ kind: string; body: string }>(
        t.db,
        `SELECT kind, body FROM outbox_messages WHERE kind LIKE 'api_key.rotated%' AND recipient = $1`,
        [owner.user.email],
      );
      expect(mails.map((m) => m.kind)).toEqual(['api_key.rotated_by_admin']);
      expect(mails[0].body).toContain(key.prefix);
      expect(mails[0].body).toContain(successor.prefix);
      expect(mails[0].body).toContain(`until ${successor.previous.graceEndsAt}`);
    });

    it('allows at most API_KEY_MAX_PER_USER active keys, also when created in parallel (KEY_LIMIT_REACHED)', async () => {
      const { token } = await registerAndLogin(t);
      const results = await Promise.all(
        Array.from({ length: 14 }, (_, i) =>
          t.request('/v1/api-keys', jsonPost({ name: `parallel ${i}`, scopes: ['profiles:read'] }, bearer(token))),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(10);
      expect(statuses.filter((s) => s === 409)).toHaveLength(4);
      const refused = results.find((r) => r.status === 409)!;
      expect((await problem(refused)).code).toBe('KEY_LIMIT_REACHED');
      for (const r of results.filter((x) => x.status === 201)) issued.push(((await r.json()) as { key: string }).key);
    });

    it('keys past their expiry count no more toward the limit, before the job marks them (issue 23 item 11)', async () => {
      const { token, user } = await registerAndLogin(t);
      for (let i = 0; i < 10; i++) await newKey(token, { name: `short ${i}`, expiresInDays: 1 });
      expect(
        (
          await problem(
            await t.request('/v1/api-keys', jsonPost({ name: 'eleventh', scopes: ['profiles:read'] }, bearer(token))),
          )
        ).code,
      ).toBe('KEY_LIMIT_REACHED');
      clock.advance(DAY + 1000);
      try {
        const login = await t.request('/v1/auth/login', jsonPost({ email: user.email, password: user.password }));
        const fresh = ((await login.json()) as { token: string }).token;
        const [{ n }] = await adminQuery<{ n: number }>(
          t.db,
          `SELECT count(*)::int AS n FROM api_keys k JOIN users u ON u.id = k.owner_id WHERE u.email = $1 AND k.status = 'active'`,
          [user.email],
        );
        expect(n).toBe(10); // not yet marked expired: the job has not run
        const res = await t.request(
          '/v1/api-keys',
          jsonPost({ name: 'after expiry', scopes: ['profiles:read'] }, bearer(fresh)),
        );
        expect(res.status).toBe(201);
        issued.push(((await res.json()) as { key: string }).key);
      } finally {
        clock.advance(-(DAY + 1000));
      }
    });
  });

  describe('the guard', () => {
    it('accepts a key as Bearer or X-API-Key; refuses malformed keys and bad checksums before any database query', async () => {
      const { token } = await registerAndLogin(t);
      const key = await newKey(token);
      expect((await t.request('/v1/me', withKey(key.key))).status).toBe(200);
      expect((await t.request('/v1/me', { headers: { 'x-api-key': key.key } })).status).toBe(200);

      const flipped = key.key.slice(0, 30) + (key.key[30] === 'a' ? 'b' : 'a') + key.key.slice(31);
      await t.app.get(UsageRecorder).flush(); // the two uses above, written now rather than during the loop below
      const spy = jest.spyOn(Client.prototype, 'query');
      const verifier = t.app.get(KeyVerifier);
      const lookupsBefore = verifier.lookups;
      try {
        for (const bad of [flipped, 'sk_live_short', `${key.key}x`, key.key.replace('sk_live_', 'sk_test_')]) {
          const res = await t.request('/v1/me', withKey(bad));
          expect(await problem(res)).toMatchObject({ status: 401, code: 'API_KEY_INVALID' });
        }
        expect(spy).not.toHaveBeenCalled();
        // Control: the spy does see the queries of a real lookup (a key not yet in the cache).
        const fresh = await newKey(token);
        spy.mockClear();
        expect((await t.request('/v1/me', withKey(fresh.key))).status).toBe(200);
        expect(spy.mock.calls.some(([sql]) => typeof sql === 'string' && sql.includes('api_keys'))).toBe(true);
      } finally {
        spy.mockRestore();
      }
      expect(verifier.lookups).toBe(lookupsBefore + 1);
    });

    it('a key in the query string is refused with 400 and never logged', async () => {
      const { token } = await registerAndLogin(t);
      const key = await newKey(token);
      const res = await t.request(`/v1/me?api_key=${key.key}`);
      expect(await problem(res)).toMatchObject({ status: 400, code: 'CREDENTIALS_IN_URL' });
      const res2 = await t.request(`/v1/me?q=${key.key}`);
      expect(res2.status).toBe(400);
      expect(t.logs.text).not.toContain(key.key.slice(20));
    });

    it('an unknown key with a valid checksum is 401 API_KEY_INVALID; a key with another secret is too', async () => {
      const { token } = await registerAndLogin(t);
      const real = await newKey(token);
      const { generateKeyForTest } = await import('../support/forge-key');
      const forged = generateKeyForTest(real.key.slice(8, 20)); // same public id, another secret, valid checksum
      expect(await problem(await t.request('/v1/me', withKey(forged)))).toMatchObject({
        status: 401,
        code: 'API_KEY_INVALID',
      });
      expect(await problem(await t.request('/v1/me', withKey(generateKeyForTest())))).toMatchObject({
        status: 401,
        code: 'API_KEY_INVALID',
      });
    });

    it('INSUFFICIENT_SCOPES lists required vs held; removing a scope from the owner removes it from the key at once', async () => {
      const user = await userWithScopes(t, ['keys:verify']);
      const narrow = await newKey(user.token, { scopes: ['profiles:read'] });
      const res = await t.request(
        '/v1/keys/verify',
        jsonPost({ key: narrow.key }, { authorization: `Bearer ${narrow.key}` }),
      );
      expect(await problem(res)).toMatchObject({
        status: 403,
        code: 'INSUFFICIENT_SCOPES',
        requiredScopes: ['keys:verify'],
        heldScopes: ['profiles:read'],
      });

      const verifier = await newKey(user.token, { scopes: ['keys:verify'] });
      const ok = await t.request(
        '/v1/keys/verify',
        jsonPost({ key: narrow.key }, { authorization: `Bearer ${verifier.key}` }),
      );
      expect(ok.status).toBe(200); // and now cached
      await t.app.get(AdminUsersService).changeScopes(undefined, user.userId, [], ['keys:verify']);
      const after = await t.request(
        '/v1/keys/verify',
        jsonPost({ key: narrow.key }, { authorization: `Bearer ${verifier.key}` }),
      );
      expect(await problem(after)).toMatchObject({ status: 403, code: 'INSUFFICIENT_SCOPES', heldScopes: [] });
    });

    it('revocation takes effect on the next request (cache invalidated before the call returns), for good', async () => {
      const { token } = await registerAndLogin(t);
      const key = await newKey(token);
      expect((await t.request('/v1/me', withKey(key.key))).status).toBe(200); // warm in the cache
      expect((await t.request(`/v1/api-keys/${key.id}`, { method: 'DELETE', headers: bearer(token) })).status).toBe(
        204,
      );
      expect(await problem(await t.request('/v1/me', withKey(key.key)))).toMatchObject({
        status: 401,
        code: 'API_KEY_REVOKED',
      });
      expect((await t.request(`/v1/api-keys/${key.id}`, { method: 'DELETE', headers: bearer(token) })).status).toBe(
        204,
      ); // idempotent
      expect(
        await problem(await t.request(`/v1/api-keys/${key.id}/rotate`, jsonPost({}, bearer(token)))),
      ).toMatchObject({ status: 409, code: 'API_KEY_NOT_ACTIVE' });
    });

    it('a disabled owner’s keys stop at once', async () => {
      const user = await registerAndLogin(t);
      const key = await newKey(user.token);
      expect((await t.request('/v1/me', withKey(key.key))).status).toBe(200);
      await t.app.get(AdminUsersService).disable(undefined, user.userId);
      expect(await problem(await t.request('/v1/me', withKey(key.key)))).toMatchObject({
        status: 401,
        code: 'API_KEY_REVOKED',
      });
    });

    it('an expired key is refused at once, cached or not, before the job marks it', async () => {
      const { token } = await registerAndLogin(t);
      const key = await newKey(token, { expiresInDays: 1 });
      expect((await t.request('/v1/me', withKey(key.key))).status).toBe(200);
      clock.advance(DAY + 1000);
      try {
        expect(await problem(await t.request('/v1/me', withKey(key.key)))).toMatchObject({
          status: 401,
          code: 'API_KEY_EXPIRED',
        });
        await t.app.get(ApiKeyJobs).expire();
        const [row] = await adminQuery<{ status: string }>(t.db, 'SELECT status FROM api_keys WHERE id = $1', [key.id]);
        expect(row.status).toBe('expired');
        expect(await problem(await t.request('/v1/me', withKey(key.key)))).toMatchObject({
          status: 401,
          code: 'API_KEY_EXPIRED',
        });
      } finally {
        clock.advance(-(DAY + 1000));
      }
    });

    it('enforces the IP allowlist (IPv4 and IPv6 CIDRs) on the trusted client address', async () => {
      const { token } = await registerAndLogin(t);
      const key = await newKey(token, { ipAllowlist: ['203.0.113.0/24', '2001:db8:1::/48'] });
      const from = (ip: string) => t.request('/v1/me', withKey(key.key, { 'x-forwarded-for': ip }));
      expect((await from('203.0.113.9')).status).toBe(200);
      expect((await from('2001:db8:1:ffff::1')).status).toBe(200);
      expect(await problem(await from('198.51.100.7'))).toMatchObject({ status: 403, code: 'IP_NOT_ALLOWED' });
      expect(await problem(await from('2001:db8:2::1'))).toMatchObject({ status: 403, code: 'IP_NOT_ALLOWED' });
      expect(await problem(await t.request('/v1/me', withKey(key.key)))).toMatchObject({
        status: 403,
        code: 'IP_NOT_ALLOWED',
      }); // 127.0.0.1
    });

    it('answers 429 RATE_LIMITED with Retry-After and RateLimit-* headers past the key’s limit', async () => {
      const { token } = await registerAndLogin(t);
      const key = await newKey(token, { rateLimit: { limit: 3, windowSeconds: 60 } });
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await t.request('/v1/me', withKey(key.key)));
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 429]);
      expect(answers.map((r) => r.headers.get('ratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
      expect(answers[0].headers.get('ratelimit-limit')).toBe('3');
      const refused = answers[3];
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(19);
      expect(Number(refused.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
      expect(await problem(refused)).toMatchObject({ code: 'RATE_LIMITED' });
    });

    it('serves exactly the quota under 1000 parallel requests, then QUOTA_EXCEEDED', async () => {
      const { token } = await registerAndLogin(t);
      const key = await newKey(token, { quota: { remaining: 37 } });
      const answers = await Promise.all(
        Array.from({ length: 1000 }, () => t.request('/v1/auth/introspect', withKey(key.key))),
      );
      const statuses = answers.map((r) => r.status);
      expect(statuses.filter((s) => s === 204)).toHaveLength(37);
      expect(statuses.filter((s) => s === 429)).toHaveLength(963);
      const refused = answers.find((r) => r.status === 429)!;
      expect((await problem(refused)).code).toBe('QUOTA_EXCEEDED');
      await Promise.all(answers.map((r) => r.body?.cancel().catch(() => undefined)));
      const [row] = await adminQuery<{ quota_remaining: number }>(
        t.db,
        'SELECT quota_remaining FROM api_keys WHERE id = $1',
        [key.id],
      );
      expect(row.quota_remaining).toBe(0);
    });
    it('refills a quota when its UTC day turns', async () => {
      const { token } = await registerAndLogin(t);
      const key = await newKey(token, {
        quota: { remaining: 2, refill: { amount: 3, interval: 'day' } },
        expiresInDays: 30,
      });
      const use = async () => (await t.request('/v1/auth/introspect', withKey(key.key))).status;
      // `remaining` holds for the day the key was made; the refill comes with the next UTC day.
      expect([await use(), await use(), await use()]).toEqual([204, 204, 429]);
      const msToNextDay = DAY - (clock.nowMs() % DAY) + 1000;
      clock.advance(msToNextDay);
      try {
        // Many requests at the turn of the day refill once: exactly `amount` are served.
        const statuses = await Promise.all(Array.from({ length: 40 }, () => use()));
        expect(statuses.filter((s) => s === 204)).toHaveLength(3);
        expect(statuses.filter((s) => s === 429)).toHaveLength(37);
      } finally {
        clock.advance(-msToNextDay);
      }
    });
  });

  describe('what a key may do', () => {
    it('a key needs profiles:read for /me, audit:read for usage, and cannot use session-only routes without spending its quota', async () => {
      const { token } = await registerAndLogin(t);
      const narrow = await newKey(token, { scopes: ['audit:read'], quota: { remaining: 1 } });
      expect(await problem(await t.request('/v1/me', withKey(narrow.key)))).toMatchObject({
        status: 403,
        code: 'INSUFFICIENT_SCOPES',
      });
      expect(
        await problem(
          await t.request('/v1/auth/email/resend', {
            method: 'POST',
            headers: { authorization: `Bearer ${narrow.key}` },
          }),
        ),
      ).toMatchObject({ status: 403, code: 'SESSION_REQUIRED' });
      expect(
        await problem(
          await t.request(
            '/v1/api-keys',
            jsonPost({ name: 'x by key', scopes: ['audit:read'] }, { authorization: `Bearer ${narrow.key}` }),
          ),
        ),
      ).toMatchObject({ status: 403, code: 'SESSION_REQUIRED' });
      expect((await t.request('/v1/auth/introspect', withKey(narrow.key))).status).toBe(204); // the one unit of quota was still there
      const other = await newKey(token, { scopes: ['profiles:read'] });
      expect(await problem(await t.request(`/v1/api-keys/${other.id}/usage`, withKey(other.key)))).toMatchObject({
        status: 403,
        code: 'INSUFFICIENT_SCOPES',
      });
      expect(
        await problem(await t.request(`/v1/api-keys/${other.id}/usage?cursor=abc`, { headers: bearer(token) })),
      ).toMatchObject({ status: 400, code: 'INVALID_CURSOR' });
    });
  });

  describe('changing and rotating', () => {
    it('rotation with a grace period counts toward the key limit; without one it replaces the key', async () => {
      const { token } = await registerAndLogin(t);
      const keys = [];
      for (let i = 0; i < 10; i++) keys.push(await newKey(token, { name: `limit ${i}` }));
      expect(
        await problem(
          await t.request(`/v1/api-keys/${keys[0].id}/rotate`, jsonPost({ gracePeriodHours: 1 }, bearer(token))),
        ),
      ).toMatchObject({ status: 409, code: 'KEY_LIMIT_REACHED' });
      const res = await t.request(
        `/v1/api-keys/${keys[0].id}/rotate`,
        jsonPost({ gracePeriodHours: 0 }, bearer(token)),
      );
      expect(res.status).toBe(201);
      issued.push(((await res.json()) as { key: string }).key);
    });

    it('during the grace period the old key spends its successor’s quota: one quota, not two', async () => {
      const { token } = await registerAndLogin(t);
      const old = await newKey(token, { quota: { remaining: 3 } });
      const rotated = (await (
        await t.request(`/v1/api-keys/${old.id}/rotate`, jsonPost({ gracePeriodHours: 1 }, bearer(token)))
      ).json()) as { key: string };
      issued.push(rotated.key);
      const use = async (k: string) => (await t.request('/v1/auth/introspect', withKey(k))).status;
      expect([
        await use(old.key),
        await use(rotated.key),
        await use(old.key),
        await use(rotated.key),
        await use(old.key),
      ]).toEqual([204, 204, 204, 429, 429]);
    });

    it('PATCH narrows scopes and changes limits; widening is refused', async () => {
      const user = await userWithScopes(t, ['keys:verify']);
      const key = await newKey(user.token, { scopes: ['keys:verify', 'profiles:read'] });
      const widen = await t.request(`/v1/api-keys/${key.id}`, {
        method: 'PATCH',
        headers: { ...bearer(user.token), 'content-type': 'application/json' },
        body: JSON.stringify({ scopes: ['profiles:read', 'audit:read'] }),
      });
      expect(await problem(widen)).toMatchObject({
        status: 400,
        code: 'SCOPES_CAN_ONLY_NARROW',
        scopes: ['audit:read'],
      });
      expect(
        (await t.request('/v1/keys/verify', jsonPost({ key: key.key }, { authorization: `Bearer ${key.key}` }))).status,
      ).toBe(200);
      const narrow = await t.request(`/v1/api-keys/${key.id}`, {
        method: 'PATCH',
        headers: { ...bearer(user.token), 'content-type': 'application/json' },
        body: JSON.stringify({
          scopes: ['profiles:read'],
          name: 'renamed',
          rateLimit: { limit: 100, windowSeconds: 60 },
        }),
      });
      expect(await narrow.json()).toMatchObject({
        scopes: ['profiles:read'],
        name: 'renamed',
        rateLimit: { limit: 100, windowSeconds: 60 },
      });
      expect(
        (await t.request('/v1/keys/verify', jsonPost({ key: key.key }, { authorization: `Bearer ${key.key}` }))).status,
      ).toBe(403);
    });

    it('rotation: both keys work during the grace period (old one says so, with Sunset), the old one stops after it', async () => {
      const { token } = await registerAndLogin(t);
      const old = await newKey(token, { ipAllowlist: ['127.0.0.1/32'], rateLimit: { limit: 50, windowSeconds: 60 } });
      const res = await t.request(`/v1/api-keys/${old.id}/rotate`, jsonPost({ gracePeriodHours: 2 }, bearer(token)));
      expect(res.status).toBe(201);
      const rotated = (await res.json()) as {
        id: string;
        key: string;
        ipAllowlist: string[];
        rateLimit: unknown;
        previous: { status: string; graceEndsAt: string };
      };
      issued.push(rotated.key);
      expect(rotated).toMatchObject({
        ipAllowlist: ['127.0.0.1/32'],
        rateLimit: { limit: 50, windowSeconds: 60 },
        previous: { status: 'rotating' },
      });
      const viaOld = await t.request('/v1/me', withKey(old.key));
      expect(viaOld.status).toBe(200);
      expect(viaOld.headers.get('x-api-key-status')).toBe('grace-period');
      expect(new Date(viaOld.headers.get('sunset')!).getTime()).toBe(
        Math.floor(new Date(rotated.previous.graceEndsAt).getTime() / 1000) * 1000,
      );
      const viaNew = await t.request('/v1/me', withKey(rotated.key));
      expect(viaNew.status).toBe(200);
      expect(viaNew.headers.get('x-api-key-status')).toBeNull();
      clock.advance(2 * 3_600_000 + 1000);
      try {
        expect(await problem(await t.request('/v1/me', withKey(old.key)))).toMatchObject({
          status: 401,
          code: 'API_KEY_REVOKED',
        });
        expect((await t.request('/v1/me', withKey(rotated.key))).status).toBe(200);
        expect(await t.app.get(ApiKeyJobs).endGracePeriods()).toBeGreaterThanOrEqual(1);
        const [row] = await adminQuery<{ status: string; revoked_reason: string }>(
          t.db,
          'SELECT status, revoked_reason FROM api_keys WHERE id = $1',
          [old.id],
        );
        expect(row).toEqual({ status: 'revoked', revoked_reason: 'rotated' });
      } finally {
        clock.advance(-(2 * 3_600_000 + 1000));
      }
      const events = await adminQuery<{ action: string }>(
        t.db,
        `SELECT action FROM audit_events WHERE target_id = $1 ORDER BY id`,
        [old.id],
      );
      expect(events.map((e) => e.action)).toEqual(
        expect.arrayContaining(['api_key.create', 'api_key.rotate', 'api_key.grace_use', 'api_key.grace_end']),
      );
    });

    it('two parallel rotations produce exactly one new key', async () => {
      const { token } = await registerAndLogin(t);
      const key = await newKey(token);
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => t.request(`/v1/api-keys/${key.id}/rotate`, jsonPost({}, bearer(token)))),
      );
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
      for (const r of answers.filter((x) => x.status === 201)) issued.push(((await r.json()) as { key: string }).key);
      const successors = await adminQuery(t.db, 'SELECT id FROM api_keys WHERE rotated_from = $1', [key.id]);
      expect(successors).toHaveLength(1);
    });

    it('rotation with no grace revokes the old key at once', async () => {
      const { token } = await registerAndLogin(t);
      const key = await newKey(token);
      const res = await t.request(`/v1/api-keys/${key.id}/rotate`, jsonPost({ gracePeriodHours: 0 }, bearer(token)));
      issued.push(((await res.json()) as { key: string }).key);
      expect(await problem(await t.request('/v1/me', withKey(key.key)))).toMatchObject({
        status: 401,
        code: 'API_KEY_REVOKED',
      });
    });
  });

  describe('verification endpoint, introspection and usage', () => {
    /** A calling service holding keys:verify, authenticating with its own key. */
    async function verifier() {
      const caller = await userWithScopes(t, ['keys:verify']);
      const callerKey = await newKey(caller.token, { scopes: ['keys:verify'], expiresInDays: 30 });
      const send = (body: Record<string, unknown>) =>
        t.request('/v1/keys/verify', jsonPost(body, { 'x-api-key': callerKey.key }));
      const verify = async (body: Record<string, unknown>) =>
        (await (await send(body)).json()) as Record<string, unknown>;
      return { callerKey, send, verify };
    }

    it('POST /keys/verify spends `cost` quota units (default 1, 0 checks only); exhausted answers 0 (issue 23 item 9)', async () => {
      const { send, verify } = await verifier();
      const owner = await registerAndLogin(t);
      const key = await newKey(owner.token, { quota: { remaining: 5 } });
      expect(await verify({ key: key.key, cost: 0 })).toMatchObject({ code: 'VALID', quotaRemaining: 5 });
      expect(await verify({ key: key.key, cost: 0 })).toMatchObject({ code: 'VALID', quotaRemaining: 5 });
      expect(await verify({ key: key.key })).toMatchObject({ code: 'VALID', quotaRemaining: 4 });
      expect(await verify({ key: key.key, cost: 3 })).toMatchObject({ code: 'VALID', quotaRemaining: 1 });
      // More than is left: refused, nothing spent, what is left answered.
      expect(await verify({ key: key.key, cost: 2 })).toMatchObject({
        valid: false,
        code: 'QUOTA_EXCEEDED',
        quotaRemaining: 1,
      });
      expect(await verify({ key: key.key, cost: 1 })).toMatchObject({ code: 'VALID', quotaRemaining: 0 });
      for (const cost of [0, 1, undefined])
        expect(await verify({ key: key.key, cost })).toMatchObject({ code: 'QUOTA_EXCEEDED', quotaRemaining: 0 });
      const [row] = await adminQuery<{ quota_remaining: number }>(
        t.db,
        'SELECT quota_remaining FROM api_keys WHERE id = $1',
        [key.id],
      );
      expect(row.quota_remaining).toBe(0);
      const unlimited = await newKey(owner.token);
      expect(await verify({ key: unlimited.key, cost: 7 })).toMatchObject({ code: 'VALID', quotaRemaining: null });
      for (const cost of [-1, 1001, 1.5, '1'])
        expect((await problem(await send({ key: key.key, cost }))).code).toBe('VALIDATION_FAILED');
    });

    it('an ip reported by a keys:verify caller is recorded as reported by it and never mails a "new network" (issue 23 item 10)', async () => {
      const { callerKey, verify } = await verifier();
      const owner = await registerAndLogin(t);
      const key = await newKey(owner.token, { scopes: ['profiles:read'] });
      const recorder = t.app.get(UsageRecorder);
      // The owner uses the key directly once: that network is the baseline.
      await t.request('/v1/auth/introspect', withKey(key.key, { 'x-forwarded-for': '192.0.2.10' }));
      await recorder.flush();
      for (const ip of ['198.51.100.7', '203.0.113.9', '2001:db8:9::1']) {
        expect(await verify({ key: key.key, ip })).toMatchObject({ code: 'VALID' });
        await recorder.flush();
      }
      const read = (await (
        await t.request(`/v1/api-keys/${key.id}`, { headers: bearer(owner.token) })
      ).json()) as Record<string, unknown>;
      expect(read).toMatchObject({ lastUsedIp: '2001:db8:9::1', lastUsedIpReportedBy: `key:${callerKey.id}` });
      const networks = await adminQuery<{ network: string }>(
        t.db,
        'SELECT network FROM api_key_networks WHERE key_id = $1',
        [key.id],
      );
      expect(networks.map((n) => n.network)).toEqual(['192.0.2.0/24']);
      const mails = await adminQuery<{ n: number }>(
        t.db,
        `SELECT count(*)::int AS n FROM outbox_messages WHERE kind = 'api_key.new_network' AND recipient = $1`,
        [owner.user.email],
      );
      expect(mails[0].n).toBe(0);
      // A direct use from a new network is still the owner's business, and clears "reported by".
      await t.request('/v1/auth/introspect', withKey(key.key, { 'x-forwarded-for': '198.51.100.8' }));
      await recorder.flush();
      const after = (await (
        await t.request(`/v1/api-keys/${key.id}`, { headers: bearer(owner.token) })
      ).json()) as Record<string, unknown>;
      expect(after).toMatchObject({ lastUsedIp: '198.51.100.8', lastUsedIpReportedBy: null });
      const mailed = await adminQuery<{ n: number }>(
        t.db,
        `SELECT count(*)::int AS n FROM outbox_messages WHERE kind = 'api_key.new_network' AND recipient = $1`,
        [owner.user.email],
      );
      expect(mailed[0].n).toBe(1);
    });

    it('POST /keys/verify answers every code as data', async () => {
      const caller = await userWithScopes(t, ['keys:verify']);
      const owner = await registerAndLogin(t);
      // The calling service authenticates with its own key (a session would expire when the clock jumps below).
      const callerKey = await newKey(caller.token, { scopes: ['keys:verify'], expiresInDays: 30 });
      const verify = async (body: Record<string, unknown>) =>
        (await (await t.request('/v1/keys/verify', jsonPost(body, { 'x-api-key': callerKey.key }))).json()) as Record<
          string,
          unknown
        >;
      const valid = await newKey(owner.token, { scopes: ['profiles:read', 'audit:read'] });
      expect(await verify({ key: valid.key, requiredScopes: ['profiles:read'] })).toMatchObject({
        valid: true,
        code: 'VALID',
        keyId: valid.id,
        ownerId: owner.userId,
        scopes: ['audit:read', 'profiles:read'],
        expiresAt: valid.expiresAt,
        ratelimit: null,
      });
      expect(await verify({ key: valid.key, requiredScopes: ['keys:verify'] })).toMatchObject({
        valid: false,
        code: 'INSUFFICIENT_SCOPES',
      });
      expect(await verify({ key: 'sk_live_nonsense' })).toEqual(
        expect.objectContaining({ valid: false, code: 'NOT_FOUND', keyId: null, ownerId: null }),
      );
      const fenced = await newKey(owner.token, { ipAllowlist: ['203.0.113.0/24'] });
      expect(await verify({ key: fenced.key })).toMatchObject({ code: 'FORBIDDEN_IP' });
      expect(await verify({ key: fenced.key, ip: '203.0.113.4' })).toMatchObject({ code: 'VALID' });
      const limited = await newKey(owner.token, { rateLimit: { limit: 1, windowSeconds: 60 } });
      expect(await verify({ key: limited.key })).toMatchObject({
        code: 'VALID',
        ratelimit: { limit: 1, remaining: 0 },
      });
      expect(await verify({ key: limited.key })).toMatchObject({ code: 'RATE_LIMITED' });
      const quota = await newKey(owner.token, { quota: { remaining: 1 } });
      expect(await verify({ key: quota.key })).toMatchObject({ code: 'VALID', quotaRemaining: 0 });
      expect(await verify({ key: quota.key })).toMatchObject({ code: 'QUOTA_EXCEEDED', quotaRemaining: 0 });
      await t.request(`/v1/api-keys/${quota.id}`, { method: 'DELETE', headers: bearer(owner.token) });
      expect(await verify({ key: quota.key })).toMatchObject({ code: 'REVOKED' });
      const short = await newKey(owner.token, { expiresInDays: 1 });
      clock.advance(DAY + 1000);
      try {
        expect(await verify({ key: short.key })).toMatchObject({ code: 'EXPIRED' });
      } finally {
        clock.advance(-(DAY + 1000));
      }
      const noScope = await t.request('/v1/keys/verify', jsonPost({ key: valid.key }, bearer(owner.token)));
      expect(noScope.status).toBe(403);
    });

    it('GET /auth/introspect: 204 with key, owner and scopes headers; 401 without a key or with a session', async () => {
      const owner = await registerAndLogin(t);
      const key = await newKey(owner.token, { scopes: ['profiles:read', 'audit:read'] });
      const ok = await t.request('/v1/auth/introspect', withKey(key.key));
      expect(ok.status).toBe(204);
      expect(ok.headers.get('x-key-id')).toBe(key.id);
      expect(ok.headers.get('x-owner-id')).toBe(owner.userId);
      expect(ok.headers.get('x-scopes')).toBe('audit:read profiles:read');
      expect(
        (await t.request('/v1/auth/introspect', withKey(key.key, { 'x-required-scopes': 'profiles:read' }))).status,
      ).toBe(204);
      expect(
        await problem(
          await t.request('/v1/auth/introspect', withKey(key.key, { 'x-required-scopes': 'certificates:read' })),
        ),
      ).toMatchObject({ status: 403, code: 'INSUFFICIENT_SCOPES' });
      expect(await problem(await t.request('/v1/auth/introspect'))).toMatchObject({
        status: 401,
        code: 'API_KEY_REQUIRED',
      });
      expect(await problem(await t.request('/v1/auth/introspect', { headers: bearer(owner.token) }))).toMatchObject({
        status: 401,
        code: 'API_KEY_REQUIRED',
      });
    });

    it('usage: exact totals and outcome counts after a burst, last use, success rate and the key’s events', async () => {
      const { token } = await registerAndLogin(t);
      const key = await newKey(token, { rateLimit: { limit: 40, windowSeconds: 3600 } });
      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          t.request('/v1/auth/introspect', withKey(key.key, { 'x-forwarded-for': '192.0.2.10' })),
        ),
      );
      expect(answers.filter((r) => r.status === 204)).toHaveLength(40);
      const usage = (await (
        await t.request(`/v1/api-keys/${key.id}/usage?limit=5`, { headers: bearer(token) })
      ).json()) as Record<string, unknown> & {
        byDay: { total: number }[];
        recentEvents: { items: { action: string }[] };
      };
      expect(usage).toMatchObject({
        totalRequests: 50,
        lastUsedIp: '192.0.2.10',
        successRate: 0.8,
        byOutcome: { VALID: 40, RATE_LIMITED: 10 },
      });
      expect(usage.byDay.reduce((n, d) => n + d.total, 0)).toBe(50);
      expect(usage.recentEvents.items.map((e) => e.action)).toEqual(
        expect.arrayContaining(['api_key.use_denied', 'api_key.create']),
      );
      // Ten denials in one minute for one reason are one audit record, the rest counted in the aggregates.
      const denials = await adminQuery(
        t.db,
        `SELECT 1 FROM audit_events WHERE target_id = $1 AND action = 'api_key.use_denied'`,
        [key.id],
      );
      expect(denials).toHaveLength(1);
      expect(t.app.get(UsageRecorder).flushes).toBeGreaterThan(0);
    });

    it('admin report lists keys by hygiene problem', async () => {
      const admin = await userWithScopes(t, ['admin:all']);
      const adminKey = await newKey(admin.token, { scopes: ['admin:all'], expiresInDays: 3 });
      const res = await t.request('/v1/admin/api-keys/report', { headers: bearer(admin.token) });
      const report = (await res.json()) as {
        holdingAdminAll: { id: string }[];
        expiringWithin7Days: { id: string }[];
        counts: Record<string, number>;
      };
      expect(report.holdingAdminAll.map((k) => k.id)).toContain(adminKey.id);
      expect(report.expiringWithin7Days.map((k) => k.id)).toContain(adminKey.id);
      expect(report.counts.holdingAdminAll).toBeGreaterThanOrEqual(1);
      const { token } = await registerAndLogin(t);
      expect((await t.request('/v1/admin/api-keys/report', { headers: bearer(token) })).status).toBe(403);
    });
  });
});
