import { ApiKeyJobs, UsageRecorder } from '@app/api-keys';
import { ChangeFeed } from '@app/core';
import { NotificationsService, SIGNATURE_HEADER, verifyWebhookSignature } from '@app/notifications';
import { startTestApp, TestApp } from '../support/app';
import { bearer, jsonPost, registerAndLogin } from '../support/auth-helpers';
import { adminQuery, createTestDatabase, TestDatabase } from '../support/database';
import { HttpReceiver } from '../support/http-receiver';
import { createKey, problem, SHARED_PEPPER, withKey } from '../support/key-helpers';
import { isListening, waitFor } from '../support/ports';
import { requireOrSkip } from '../support/test-env';
import { TestClock } from '../support/test-clock';

const DAY = 86_400_000;
const WEBHOOK_SECRET = 'whsec-test-0123456789abcdef';

describe('API keys across instances, schemes, shutdown and jobs (real PostgreSQL)', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  const receiver = new HttpReceiver();

  beforeAll(async () => {
    db = await createTestDatabase();
    await receiver.start();
    const env = {
      API_KEY_PEPPERS: SHARED_PEPPER,
      NOTIFY_WEBHOOK_URL: receiver.url,
      NOTIFY_WEBHOOK_SECRET: WEBHOOK_SECRET,
    };
    a = await startTestApp({ db, env });
    b = await startTestApp({ db, env });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await receiver.stop();
    await db?.drop();
  });

  it('a revocation on one instance reaches the other’s cache through LISTEN/NOTIFY within a second', async () => {
    const { token } = await registerAndLogin(a);
    const key = await createKey(a, token);
    expect((await b.request('/v1/me', withKey(key.key))).status).toBe(200); // cached on b
    expect((await b.request('/v1/me', withKey(key.key))).status).toBe(200);
    const revokedAt = Date.now();
    expect((await a.request(`/v1/api-keys/${key.id}`, { method: 'DELETE', headers: bearer(token) })).status).toBe(204);
    const status = await waitFor(
      async () => {
        const r = await b.request('/v1/me', withKey(key.key));
        return r.status === 401 ? r.status : undefined;
      },
      1000,
      20,
    );
    expect(status).toBe(401);
    const elapsed = Date.now() - revokedAt;
    if (process.env.REPORT_TIMINGS) process.stdout.write(`cross-instance revocation seen after ${elapsed} ms\n`);
    expect(elapsed).toBeLessThan(1000);
  });

  it('a lost listener connection clears the cache and reconnects; invalidations flow again afterwards', async () => {
    const { token } = await registerAndLogin(a);
    const key = await createKey(a, token);
    expect((await b.request('/v1/me', withKey(key.key))).status).toBe(200); // cached on b
    const feedOf = (app: TestApp) => app.app.get(ChangeFeed);
    await adminQuery(
      db,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'security-backend-listener' AND datname = current_database()`,
    );
    await waitFor(async () => (feedOf(b).listening ? undefined : true), 2000, 10); // b noticed the loss …
    await waitFor(async () => (feedOf(b).listening ? true : undefined), 5000, 20); // … and listens again
    await waitFor(async () => (feedOf(a).listening ? true : undefined), 5000, 20);
    expect((await b.request('/v1/me', withKey(key.key))).status).toBe(200);
    expect((await a.request(`/v1/api-keys/${key.id}`, { method: 'DELETE', headers: bearer(token) })).status).toBe(204);
    await waitFor(
      async () => ((await b.request('/v1/me', withKey(key.key))).status === 401 ? true : undefined),
      1000,
      20,
    );
  });

  it('usage is exact after a burst and a graceful shutdown (the last batch is flushed on stop)', async () => {
    const { token } = await registerAndLogin(a);
    const key = await createKey(a, token);
    const c = await startTestApp({ db, env: { API_KEY_PEPPERS: SHARED_PEPPER, USAGE_FLUSH_INTERVAL_MS: '1000' } });
    const answers = await Promise.all(
      Array.from({ length: 120 }, () => c.request('/v1/auth/introspect', withKey(key.key))),
    );
    expect(answers.every((r) => r.status === 204)).toBe(true);
    await c.close(); // not c.stop(): the database is shared
    const [row] = await adminQuery<{ total_requests: string }>(
      db,
      'SELECT total_requests FROM api_keys WHERE id = $1',
      [key.id],
    );
    expect(Number(row.total_requests)).toBe(120);
    const [daily] = await adminQuery<{ count: string }>(
      db,
      `SELECT count FROM api_key_usage_daily WHERE key_id = $1 AND outcome = 'VALID'`,
      [key.id],
    );
    expect(Number(daily.count)).toBe(120);
  });

  it('argon2id and peppered HMAC hashes both verify, and are re-hashed to the configured scheme and pepper on use', async () => {
    const argonApp = await startTestApp({ db, env: { API_KEY_PEPPERS: SHARED_PEPPER, API_KEY_HASH: 'argon2id' } });
    const rotatedPepperApp = await startTestApp({
      db,
      env: { API_KEY_PEPPERS: `2:second-pepper-after-rotation,${SHARED_PEPPER}` },
    });
    try {
      const { token } = await registerAndLogin(argonApp);
      const key = await createKey(argonApp, token);
      const hashOf = async () =>
        (await adminQuery<{ hash: string }>(db, 'SELECT hash FROM api_keys WHERE id = $1', [key.id]))[0].hash;
      expect(await hashOf()).toMatch(/^\$argon2id\$/);
      expect((await argonApp.request('/v1/me', withKey(key.key))).status).toBe(200);
      expect((await a.request('/v1/me', withKey(key.key))).status).toBe(200); // hmac-sha256 configured: migrates
      expect(await hashOf()).toMatch(/^\$hmac-sha256\$v=1\$/);
      expect((await rotatedPepperApp.request('/v1/me', withKey(key.key))).status).toBe(200); // newest pepper: v2
      expect(await hashOf()).toMatch(/^\$hmac-sha256\$v=2\$/);
      // An instance that only knows pepper 1 can no longer confirm the key: it is re-hashed under pepper 2.
      const onlyOld = await startTestApp({ db, env: { API_KEY_PEPPERS: SHARED_PEPPER } });
      try {
        expect(await problem(await onlyOld.request('/v1/me', withKey(key.key)))).toMatchObject({
          status: 401,
          code: 'API_KEY_INVALID',
        });
      } finally {
        await onlyOld.close();
      }
    } finally {
      await argonApp.close();
      await rotatedPepperApp.close();
    }
  });

  it('shares rate limits across instances through Redis, and falls back to per-instance limits when Redis is away', async () => {
    if (!requireOrSkip(await isListening(6379), 'Redis on 127.0.0.1:6379')) return;
    const env = { API_KEY_PEPPERS: SHARED_PEPPER, REDIS_URL: 'redis://127.0.0.1:6379/0' };
    const r1 = await startTestApp({ db, env });
    const r2 = await startTestApp({ db, env });
    const broken = await startTestApp({
      db,
      env: { API_KEY_PEPPERS: SHARED_PEPPER, REDIS_URL: 'redis://127.0.0.1:1/0' },
    });
    try {
      const { token } = await registerAndLogin(r1);
      const key = await createKey(r1, token, { rateLimit: { limit: 6, windowSeconds: 60 } });
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++)
        statuses.push((await (i % 2 ? r2 : r1).request('/v1/auth/introspect', withKey(key.key))).status);
      expect(statuses.filter((s) => s === 204)).toHaveLength(6);
      expect(statuses.filter((s) => s === 429)).toHaveLength(4);
      const fallback: number[] = [];
      for (let i = 0; i < 8; i++) fallback.push((await broken.request('/v1/auth/introspect', withKey(key.key))).status);
      expect(fallback).toEqual([204, 204, 204, 204, 204, 204, 429, 429]);
    } finally {
      await r1.close();
      await r2.close();
      await broken.close();
    }
  });

  it('a key rotated on one instance shares its successor’s limit on the other, through Redis', async () => {
    if (!requireOrSkip(await isListening(6379), 'Redis on 127.0.0.1:6379')) return;
    const env = { API_KEY_PEPPERS: SHARED_PEPPER, REDIS_URL: 'redis://127.0.0.1:6379/0' };
    const r1 = await startTestApp({ db, env });
    const r2 = await startTestApp({ db, env });
    try {
      const { token } = await registerAndLogin(r1);
      const old = await createKey(r1, token, { rateLimit: { limit: 3, windowSeconds: 60 } });
      const use = async (app: TestApp, key: string) => app.request('/v1/auth/introspect', withKey(key));
      expect((await use(r2, old.key)).status).toBe(204); // the old key, cached on r2
      const rotated = await r1.request(
        `/v1/api-keys/${old.id}/rotate`,
        jsonPost({ gracePeriodHours: 1 }, bearer(token)),
      );
      expect(rotated.status).toBe(201);
      const successor = ((await rotated.json()) as { key: string }).key;
      // r2 hears of the rotation (LISTEN/NOTIFY): its answer for the old key says grace period, and spends one of the
      // successor's three.
      const seen = await waitFor(
        async () => {
          const r = await use(r2, old.key);
          return r.headers.get('x-api-key-status') === 'grace-period' ? r.status : undefined;
        },
        1000,
        20,
      );
      expect(seen).toBe(204);
      const statuses = [];
      for (const [app, key] of [
        [r1, successor],
        [r2, old.key],
        [r1, successor],
        [r2, old.key],
      ] as const)
        statuses.push((await use(app, key)).status);
      expect(statuses).toEqual([204, 204, 429, 429]);
    } finally {
      await r1.close();
      await r2.close();
    }
  });

  describe('jobs (moved clock)', () => {
    const clock = new TestClock();
    let j: TestApp;
    beforeAll(async () => {
      j = await startTestApp({
        db,
        clock,
        env: {
          API_KEY_PEPPERS: SHARED_PEPPER,
          NOTIFY_WEBHOOK_URL: receiver.url,
          NOTIFY_WEBHOOK_SECRET: WEBHOOK_SECRET,
        },
      });
    });
    afterAll(() => j?.close());

    it('warns once per key 7 days before expiry, by mail and by a signed webhook (retried on failure)', async () => {
      const { token, user } = await registerAndLogin(j);
      const key = await createKey(j, token, { expiresInDays: 10 });
      const notifications = j.app.get(NotificationsService);
      await notifications.deliverDue(100); // the creation notice goes out first
      const jobs = j.app.get(ApiKeyJobs);
      expect((await jobs.runAll()).warned).toBe(0);
      clock.advance(3 * DAY + 60_000);
      expect(await jobs.warnExpiring()).toBeGreaterThanOrEqual(1);
      expect(await jobs.warnExpiring()).toBe(0); // once
      const mails = await adminQuery<{ body: string }>(
        db,
        `SELECT body FROM outbox_messages WHERE kind = 'api_key.expiring' AND recipient = $1`,
        [user.email],
      );
      expect(mails).toHaveLength(1);
      expect(mails[0].body).toContain(key.prefix);

      receiver.failWith = [503];
      await notifications.deliverDue(100);
      clock.advance(11_000); // past the first backoff
      await notifications.deliverDue(100);
      const hooks = receiver.received.filter((r) => r.body.includes(key.id) && r.body.includes('api_key.expiring'));
      expect(hooks.length).toBeGreaterThanOrEqual(2); // refused once, then delivered
      const last = hooks[hooks.length - 1];
      const signature = String(last.headers[SIGNATURE_HEADER]);
      expect(verifyWebhookSignature(WEBHOOK_SECRET, signature, last.body, Math.floor(clock.nowMs() / 1000))).toBe(true);
      expect(verifyWebhookSignature('another-secret', signature, last.body, Math.floor(clock.nowMs() / 1000))).toBe(
        false,
      );
      expect(
        verifyWebhookSignature(
          WEBHOOK_SECRET,
          signature,
          last.body.replace('expiring', 'expired'),
          Math.floor(clock.nowMs() / 1000),
        ),
      ).toBe(false);
      expect(JSON.parse(last.body)).toMatchObject({
        type: 'api_key.expiring',
        data: { keyId: key.id, ownerId: expect.any(String) },
      });
      expect(last.headers['webhook-id']).toEqual(JSON.parse(last.body).id);
    });

    it('first use from a new network (/24, /64) is recorded and notified once', async () => {
      const { token, user } = await registerAndLogin(j);
      const key = await createKey(j, token);
      const use = (ip: string) => j.request('/v1/auth/introspect', withKey(key.key, { 'x-forwarded-for': ip }));
      await use('203.0.113.10');
      await use('203.0.113.99'); // same /24
      await j.app.get(UsageRecorder).flush();
      await use('198.51.100.20');
      await use('2001:db8:5:6::1');
      await use('2001:db8:5:6::ffff'); // same /64
      await j.app.get(UsageRecorder).flush();
      await use('198.51.100.21');
      await j.app.get(UsageRecorder).flush();
      const networks = await adminQuery<{ network: string }>(
        db,
        'SELECT network FROM api_key_networks WHERE key_id = $1 ORDER BY network',
        [key.id],
      );
      expect(networks.map((n) => n.network)).toEqual(['198.51.100.0/24', '2001:db8:5:6::/64', '203.0.113.0/24']);
      const mails = await adminQuery<{ body: string }>(
        db,
        `SELECT body FROM outbox_messages WHERE kind = 'api_key.new_network' AND recipient = $1 ORDER BY created_at`,
        [user.email],
      );
      expect(mails).toHaveLength(2); // the first network is the baseline
      expect(mails.map((m) => m.body).join('\n')).toMatch(
        /198\.51\.100\.0\/24[\s\S]*2001:db8:5:6::\/64|2001:db8:5:6::\/64[\s\S]*198\.51\.100\.0\/24/,
      );
    });

    it('a key whose first batch holds two networks is told about the second only', async () => {
      const { token, user } = await registerAndLogin(j);
      const key = await createKey(j, token);
      await j.request('/v1/auth/introspect', withKey(key.key, { 'x-forwarded-for': '192.0.2.1' }));
      await j.request('/v1/auth/introspect', withKey(key.key, { 'x-forwarded-for': '198.18.0.1' }));
      await j.app.get(UsageRecorder).flush();
      const mails = await adminQuery<{ body: string }>(
        db,
        `SELECT body FROM outbox_messages WHERE kind = 'api_key.new_network' AND recipient = $1`,
        [user.email],
      );
      expect(mails).toHaveLength(1);
      expect(mails[0].body).toContain('198.18.0.0/24');
    });
  });
});
