import { createServer, Server } from 'node:http';
import { join } from 'node:path';
import { startTestApp, TestApp } from '../support/app';
import { bearer, registerAndLogin } from '../support/auth-helpers';
import { createKey } from '../support/key-helpers';
import { nginxBinary, RunningNginx, startNginx } from '../support/nginx';
import { ROOT } from '../support/process';
import { requireOrSkip } from '../support/test-env';

/** The shipped docker/nginx/api-key-auth.conf in front of a stand-in upstream, against the real service. */
describe('nginx auth_request with API keys (real nginx)', () => {
  const binary = nginxBinary();
  const available = requireOrSkip(binary !== undefined, 'nginx');
  let t: TestApp;
  let nginx: RunningNginx;
  let upstream: Server;
  const seen: Record<string, string | string[] | undefined>[] = [];

  beforeAll(async () => {
    if (!available) return;
    t = await startTestApp();
    upstream = createServer((req, res) => {
      seen.push(req.headers);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const upstreamPort = (upstream.address() as { port: number }).port;
    const backend = new URL(t.url);
    nginx = await startNginx(
      binary!,
      (port) => `
      upstream security_backend { server 127.0.0.1:${backend.port}; keepalive 16; }
      upstream protected_app { server 127.0.0.1:${upstreamPort}; }
      server {
        listen 127.0.0.1:${port};
        include ${join(ROOT, 'docker/nginx/api-key-auth.conf')};
      }`,
    );
  });
  afterAll(async () => {
    await nginx?.stop();
    await new Promise((r) => (upstream ? upstream.close(r) : r(undefined)));
    await t?.stop();
  });

  const through = (key: string | undefined, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${nginx.port}/protected/orders`, {
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    });

  it('passes a valid key with the scope; the upstream learns key, owner and scopes but never sees the key', async () => {
    if (!available) return;
    const owner = await registerAndLogin(t);
    const key = await createKey(t, owner.token, { scopes: ['profiles:read', 'audit:read'] });
    seen.length = 0;
    const res = await through(key.key);
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      'x-key-id': key.id,
      'x-owner-id': owner.userId,
      'x-scopes': 'audit:read profiles:read',
    });
    expect(seen[0].authorization).toBeUndefined();
    expect(JSON.stringify(seen[0])).not.toContain(key.key);
  });

  it('refuses a missing, revoked or under-scoped key before the upstream sees anything', async () => {
    if (!available) return;
    const owner = await registerAndLogin(t);
    const narrow = await createKey(t, owner.token, { scopes: ['audit:read'] });
    const revoked = await createKey(t, owner.token);
    await t.request(`/v1/api-keys/${revoked.id}`, { method: 'DELETE', headers: bearer(owner.token) });
    seen.length = 0;
    expect((await through(undefined)).status).toBe(401);
    expect((await through(revoked.key)).status).toBe(401);
    expect((await through(narrow.key)).status).toBe(403);
    expect(seen).toHaveLength(0);
  });

  it('turns a rate-limited introspection into 429 with Retry-After (not nginx’s 500)', async () => {
    if (!available) return;
    const owner = await registerAndLogin(t);
    const key = await createKey(t, owner.token, { rateLimit: { limit: 1, windowSeconds: 60 } });
    expect((await through(key.key)).status).toBe(200);
    const limited = await through(key.key);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { code: string }).code).toBe('RATE_LIMITED');
  });

  it('refuses two credentials with 400 AMBIGUOUS_CREDENTIALS (not nginx’s 500), the upstream never reached', async () => {
    if (!available) return;
    const owner = await registerAndLogin(t);
    const other = await registerAndLogin(t);
    const key = await createKey(t, owner.token);
    const otherKey = await createKey(t, other.token);
    seen.length = 0;
    for (const res of [
      await through(key.key, { 'x-api-key': otherKey.key }),
      await through(otherKey.key, { 'x-api-key': otherKey.key }),
      await through(undefined, { 'x-api-key': `${key.key}, ${otherKey.key}` }),
    ]) {
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('AMBIGUOUS_CREDENTIALS');
    }
    expect(seen).toHaveLength(0);
    expect((await through(key.key)).status).toBe(200);
  });

  it('checks the allowlist against the address nginx saw: a client-sent X-Forwarded-For cannot spoof it', async () => {
    if (!available) return;
    const owner = await registerAndLogin(t);
    const local = await createKey(t, owner.token, { ipAllowlist: ['127.0.0.1/32'] });
    const remote = await createKey(t, owner.token, { ipAllowlist: ['203.0.113.0/24'] });
    expect((await through(local.key)).status).toBe(200);
    expect((await through(remote.key, { 'x-forwarded-for': '203.0.113.5' })).status).toBe(403);
  });
});
