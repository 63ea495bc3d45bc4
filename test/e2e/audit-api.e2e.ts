import { AuditService } from '@app/audit';
import { DataSource } from 'typeorm';
import { startTestApp, TestApp } from '../support/app';
import { bearer, freshIp, jsonPost, registerAndLogin } from '../support/auth-helpers';
import { createKey, problem, userWithScopes } from '../support/key-helpers';

interface Event {
  id: string;
  occurredAt: string;
  action: string;
  outcome: string;
  actorId: string | null;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
  redacted: boolean;
}
interface Page {
  items: Event[];
  nextCursor: string | null;
}
interface SecurityEvent {
  action: string;
  outcome: string;
  ip: string | null;
  userAgent: string | null;
  factor: string | null;
  reason: string | null;
  keyId: string | null;
}

/** The audit log read over HTTP on real PostgreSQL: own events, admin reads (themselves audited), export, erasure. */
describe('audit API (real PostgreSQL)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { API_KEY_JOBS_INTERVAL_MS: '0' } });
  });
  afterAll(() => t?.stop());

  async function events(token: string, query = ''): Promise<Event[]> {
    const all: Event[] = [];
    let cursor: string | null = null;
    do {
      const sep = query ? '&' : '';
      const path: string = `/v1/audit/events?limit=50${sep}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await t.request(path, { headers: bearer(token) });
      const body = (await res.json()) as Page;
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
      all.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor);
    return all;
  }

  async function exported(token: string, query = ''): Promise<{ type: string | null; rows: Event[] }> {
    const res = await t.request(`/v1/audit/events/export${query ? `?${query}` : ''}`, { headers: bearer(token) });
    expect(res.status).toBe(200);
    const text = await res.text();
    return {
      type: res.headers.get('content-type'),
      rows: text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Event),
    };
  }

  it('a user reads their own sign-ins and key events, with IP, user agent, outcome and factor', async () => {
    const alice = await registerAndLogin(t);
    const ip = freshIp();
    const wrong = await t.request(
      '/v1/auth/login',
      jsonPost(
        { email: alice.user.email, password: 'not the password at all' },
        { 'x-forwarded-for': ip, 'user-agent': 'attacker-agent/1.0' },
      ),
    );
    expect(wrong.status).toBe(401);
    const key = await createKey(t, alice.token, { name: 'to revoke' });
    await t.request(`/v1/api-keys/${key.id}`, { method: 'DELETE', headers: bearer(alice.token) });

    const res = await t.request('/v1/me/security-activity', { headers: bearer(alice.token) });
    expect(res.status).toBe(200);
    const activity = (await res.json()) as Record<'signIns' | 'apiKeys' | 'credentials', SecurityEvent[]>;
    expect(activity.signIns.map((e) => [e.action, e.outcome])).toEqual([
      ['auth.login', 'failure'],
      ['auth.login', 'success'],
    ]);
    expect(activity.signIns[0]).toMatchObject({ userAgent: 'attacker-agent/1.0', reason: 'wrong_password' });
    expect(activity.signIns[1]).toMatchObject({ factor: 'password' });
    expect(activity.apiKeys.map((e) => e.action)).toEqual(['api_key.revoke', 'api_key.create']);
    expect(activity.apiKeys[0].keyId).toBe(key.prefix.split('_')[2]);

    const mine = await events(alice.token);
    expect(mine.map((e) => e.action)).toEqual(
      expect.arrayContaining(['auth.register', 'auth.login', 'api_key.create', 'api_key.revoke']),
    );
    const ids = mine.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a)); // newest first
    for (const e of mine) expect(e.actorId === alice.userId || e.targetId === alice.userId).toBe(true);
    const failures = await events(alice.token, 'type=auth.login&outcome=failure');
    expect(failures).toHaveLength(1);
    const chainFields = JSON.stringify(mine);
    for (const secret of ['hash', 'prevHash', 'piiSalt', 'piiDigest']) expect(chainFields).not.toContain(`"${secret}"`);
  });

  it('never shows another user’s events without admin:all, whatever the filters or the endpoint', async () => {
    const alice = await registerAndLogin(t);
    const bob = await registerAndLogin(t);
    await createKey(t, bob.token, { name: 'bob key' });
    const bobsEvents = await events(bob.token);
    expect(bobsEvents.length).toBeGreaterThan(0);
    for (const query of ['', `actorId=${bob.userId}`, `targetId=${bob.userId}`, 'type=api_key']) {
      const seen = await events(alice.token, query);
      for (const e of seen)
        expect([query, e.actorId === bob.userId || e.targetId === bob.userId]).toEqual([query, false]);
      const exp = await exported(alice.token, query);
      for (const e of exp.rows) expect(e.actorId === bob.userId || e.targetId === bob.userId).toBe(false);
    }
    const activity = await (await t.request('/v1/me/security-activity', { headers: bearer(alice.token) })).text();
    expect(activity).not.toContain(bob.userId);
    // A page cursor from Bob's listing does not continue in Alice's.
    const bobPage = (await (
      await t.request('/v1/audit/events?limit=1', { headers: bearer(bob.token) })
    ).json()) as Page;
    const foreign = await t.request(`/v1/audit/events?limit=1&cursor=${encodeURIComponent(bobPage.nextCursor!)}`, {
      headers: bearer(alice.token),
    });
    expect((await problem(foreign)).code).toBe('INVALID_CURSOR');
    // Without audit:read at all (a key with another scope) nothing is read.
    const narrow = await createKey(t, alice.token, { scopes: ['profiles:read'] });
    const denied = await t.request('/v1/audit/events', { headers: { authorization: `Bearer ${narrow.key}` } });
    expect((await problem(denied)).code).toBe('INSUFFICIENT_SCOPES');
  });

  it('an admin reads everyone’s events, filters by type, actor, target and time, and the read is audited', async () => {
    const admin = await userWithScopes(t, ['admin:all']);
    const carol = await registerAndLogin(t);
    const all = await events(admin.token, `targetId=${carol.userId}`);
    expect(all.map((e) => e.action)).toEqual(expect.arrayContaining(['auth.register']));
    const logins = await events(admin.token, `type=auth.login&actorId=${carol.userId}`);
    expect(logins.map((e) => e.action)).toEqual(['auth.login']);
    const at = new Date(logins[0].occurredAt).getTime();
    const window = (since: number, until: number) =>
      events(
        admin.token,
        `type=auth&actorId=${carol.userId}&since=${new Date(since).toISOString()}&until=${new Date(until).toISOString()}`,
      );
    expect((await window(at, at + 1)).map((e) => e.id)).toEqual([logins[0].id]);
    expect(await window(at + 1, at + 60_000)).toEqual([]);
    expect(await events(admin.token, `type=auth.login&outcome=failure&actorId=${carol.userId}`)).toEqual([]);

    const reads = await events(admin.token, `type=audit.read&actorId=${admin.userId}`);
    expect(reads.length).toBeGreaterThanOrEqual(5);
    expect(
      reads.find((e) => e.details.filters && (e.details.filters as { targetId?: string }).targetId === carol.userId),
    ).toBeDefined();
    await exported(admin.token, `type=auth.register&actorId=${carol.userId}`);
    expect(await events(admin.token, `type=audit.export&actorId=${admin.userId}`)).toHaveLength(1);
    // A user's own reads are not recorded (they read only what is about them).
    const before = await events(admin.token, `type=audit&actorId=${carol.userId}`);
    await events(carol.token);
    expect(await events(admin.token, `type=audit&actorId=${carol.userId}`)).toEqual(before);
  });

  it('refuses types outside the allow-list, malformed ids and dates', async () => {
    const { token } = await registerAndLogin(t);
    for (const q of [
      'type=foo',
      'type=auth%25',
      "type=auth.login'--",
      'type=_',
      'since=yesterday',
      'actorId=a%20b',
      'outcome=maybe',
    ]) {
      const res = await t.request(`/v1/audit/events?${q}`, { headers: bearer(token) });
      expect([q, (await problem(res)).code]).toEqual([q, 'VALIDATION_FAILED']);
    }
  });

  it('erased people’s events read as redacted, for the admin and in the export', async () => {
    const admin = await userWithScopes(t, ['admin:all']);
    const dave = await registerAndLogin(t);
    const pseudonym = `erased-${dave.userId.slice(0, 8)}`;
    await t.app
      .get(DataSource)
      .transaction((em) => t.app.get(AuditService).pseudonymiseUser(dave.userId, pseudonym, em));
    const rows = await events(admin.token, `actorId=${pseudonym}`);
    expect(rows.length).toBeGreaterThan(0);
    for (const e of rows) expect(e).toMatchObject({ redacted: true, ip: null, userAgent: null, details: {} });
    expect(await events(admin.token, `actorId=${dave.userId}`)).toEqual([]);
    const exp = await exported(admin.token, `actorId=${pseudonym}`);
    expect(exp.type).toMatch(/^application\/x-ndjson/);
    expect(exp.rows.map((e) => e.id)).toEqual(rows.map((e) => e.id));
    expect(exp.rows.every((e) => e.redacted)).toBe(true);
  });
});
