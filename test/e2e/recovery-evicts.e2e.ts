import { Client } from 'pg';
import { startTestApp, TestApp } from '../support/app';
import { bearer, freshIp, jsonPost, outbox, registerAndLogin, tokenIn } from '../support/auth-helpers';
import { adminQuery, createTestDatabase, TestDatabase } from '../support/database';
import { createKey, CreatedKey, problem, SHARED_PEPPER, userWithScopes, withKey } from '../support/key-helpers';
import { waitFor } from '../support/ports';

const NEW_PASSWORD = 'harbor pepper violin snow';

/** Asks for a reset link on `t`; answers the token from the mail. */
async function resetToken(t: TestApp, email: string): Promise<string> {
  const before = (await outbox(t, email)).filter((m) => m.kind === 'auth.reset_password').length;
  expect((await t.request('/v1/auth/password/forgot', jsonPost({ email }))).status).toBe(202);
  const mail = await waitFor(async () => {
    const mails = (await outbox(t, email)).filter((m) => m.kind === 'auth.reset_password');
    return mails.length > before ? mails[mails.length - 1] : undefined;
  }, 5000);
  return tokenIn(mail.body);
}

/** Asks for a reset link on `t` and sets NEW_PASSWORD with it; answers the reset's JSON answer. */
async function resetPassword(t: TestApp, email: string): Promise<Record<string, unknown>> {
  const token = await resetToken(t, email);
  const res = await t.request('/v1/auth/password/reset', jsonPost({ token, newPassword: NEW_PASSWORD }));
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

async function login(t: TestApp, email: string, password: string): Promise<string> {
  const res = await t.request('/v1/auth/login', jsonPost({ email, password }, { 'x-forwarded-for': freshIp() }));
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

/** The status and code a key gets on `/v1/me`. */
async function answerTo(t: TestApp, key: string): Promise<string> {
  const res = await t.request('/v1/me', withKey(key));
  if (res.status === 200) return '200';
  const p = await problem(res);
  return `${p.status} ${p.code}`;
}

/** Waits (up to a second) until `key` is refused on `t`; answers the last answer. */
async function refusedWithin(t: TestApp, key: string, ms = 1000): Promise<string> {
  let last = '';
  try {
    return await waitFor(
      async () => {
        last = await answerTo(t, key);
        return last === '200' ? undefined : last;
      },
      ms,
      20,
    );
  } catch {
    return last;
  }
}

/** Two instances of the service on one database, with one pepper so each verifies the other's keys. */
async function twoInstances(): Promise<{ db: TestDatabase; a: TestApp; b: TestApp }> {
  const db = await createTestDatabase();
  const env = { API_KEY_PEPPERS: SHARED_PEPPER };
  return { db, a: await startTestApp({ db, env }), b: await startTestApp({ db, env }) };
}

describe('Recovery evicts: a reset revokes the keys, on every instance (real PostgreSQL)', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => ({ db, a, b } = await twoInstances()));
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  it('after a reset every earlier key answers 401 API_KEY_REVOKED on both instances; one minted after works', async () => {
    const owner = await registerAndLogin(a);
    const bystander = await registerAndLogin(a);
    const old = await createKey(a, owner.token, { name: 'old key' });
    const cachedOnB = await createKey(a, owner.token, { name: 'cached on b' });
    const rotating = await createKey(a, owner.token, { name: 'rotating' });
    const rotated = await a.request(
      `/v1/api-keys/${rotating.id}/rotate`,
      jsonPost({ gracePeriodHours: 24 }, bearer(owner.token)),
    );
    expect(rotated.status).toBe(201);
    const successor = (await rotated.json()) as CreatedKey;
    const theirs = await createKey(a, bystander.token, { name: 'bystander key' });
    // Cached on the second instance (two uses: the second is served from its cache).
    for (let i = 0; i < 2; i++) expect(await answerTo(b, cachedOnB.key)).toBe('200');
    for (const k of [old, rotating, successor]) expect(await answerTo(b, k.key)).toBe('200');
    // Minted by the account a moment before the reset.
    const lastMinute = await createKey(a, owner.token, { name: 'just before' });
    expect(await answerTo(b, lastMinute.key)).toBe('200');

    const answer = await resetPassword(a, owner.user.email);
    expect(answer).toEqual({ sessionsEnded: 1, apiKeysRevoked: 5 });

    const earlier = [old, cachedOnB, rotating, successor, lastMinute];
    for (const k of earlier) expect(await answerTo(a, k.key)).toBe('401 API_KEY_REVOKED');
    for (const k of earlier) expect(await refusedWithin(b, k.key)).toBe('401 API_KEY_REVOKED');
    const rows = await adminQuery<{ id: string; status: string; revoked_reason: string }>(
      db,
      'SELECT id, status, revoked_reason FROM api_keys WHERE owner_id = $1',
      [owner.userId],
    );
    expect(rows).toHaveLength(5);
    for (const r of rows) expect(r).toMatchObject({ status: 'revoked', revoked_reason: 'password_reset' });
    const audited = await adminQuery<{ target_id: string }>(
      db,
      `SELECT target_id FROM audit_events WHERE action = 'api_key.revoke' AND details->>'reason' = 'password_reset' AND actor_id = $1`,
      [owner.userId],
    );
    expect(audited.map((e) => e.target_id).sort()).toEqual(earlier.map((k) => k.id).sort());

    // Someone else's key is untouched; the old session is gone; a key minted with the new password works everywhere.
    expect(await answerTo(b, theirs.key)).toBe('200');
    await expect(problem(await a.request('/v1/me', { headers: bearer(owner.token) }))).resolves.toMatchObject({
      code: 'SESSION_INVALID',
    });
    const fresh = await createKey(a, await login(a, owner.user.email, NEW_PASSWORD), { name: 'after' });
    expect(await answerTo(a, fresh.key)).toBe('200');
    expect(await answerTo(b, fresh.key)).toBe('200');
  });

  it('a creation let in just before a reset and queued behind it on the owner lock mints nothing (SESSION_INVALID)', async () => {
    const owner = await registerAndLogin(a);
    const token = await resetToken(a, owner.user.email);
    const waiting = async () =>
      (
        await adminQuery<{ n: number }>(
          db,
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        )
      )[0].n;
    // Hold the owner's key lock, so the reset (sessions already ended, uncommitted) and then a creation (its session
    // still valid when the guard looked) queue on it in that order.
    const holder = new Client({ connectionString: db.adminUrl });
    await holder.connect();
    let creation: Promise<Response>;
    let reset: Promise<Response>;
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT pg_advisory_xact_lock(hashtextextended('api-keys:' || $1, 0))`, [owner.userId]);
      reset = a.request('/v1/auth/password/reset', jsonPost({ token, newPassword: NEW_PASSWORD }));
      await waitFor(async () => ((await waiting()) >= 1 ? true : undefined), 5000, 20);
      creation = a.request('/v1/api-keys', jsonPost({ name: 'raced', scopes: ['profiles:read'] }, bearer(owner.token)));
      await waitFor(async () => ((await waiting()) >= 2 ? true : undefined), 5000, 20);
    } finally {
      await holder.query('COMMIT').catch(() => undefined);
      await holder.end();
    }
    expect((await reset).status).toBe(200);
    expect(await problem(await creation)).toMatchObject({ status: 401, code: 'SESSION_INVALID' });
    const live = await adminQuery(db, `SELECT 1 FROM api_keys WHERE owner_id = $1 AND status = 'active'`, [
      owner.userId,
    ]);
    expect(live).toHaveLength(0);
  });

  it('the owner is mailed the revoked keys once, by name and prefix, never a secret', async () => {
    const owner = await registerAndLogin(a);
    const k1 = await createKey(a, owner.token, { name: 'deploy bot' });
    const k2 = await createKey(a, owner.token, { name: 'metrics scraper' });
    await resetPassword(a, owner.user.email);
    const mails = (await outbox(a, owner.user.email)).filter((m) => m.kind === 'api_key.revoked_on_reset');
    expect(mails).toHaveLength(1);
    expect(mails[0].body).toContain(`"deploy bot" (${k1.prefix})`);
    expect(mails[0].body).toContain(`"metrics scraper" (${k2.prefix})`);
    for (const k of [k1, k2]) expect(mails[0].body).not.toContain(k.key.slice(k.prefix.length + 1));
    // A second reset, with no live key left, sends no such mail.
    await resetPassword(a, owner.user.email);
    expect((await outbox(a, owner.user.email)).filter((m) => m.kind === 'api_key.revoked_on_reset')).toHaveLength(1);
  });

  it('RESET_REVOKES_API_KEYS=false: the keys survive a reset (sessions still end)', async () => {
    const keeping = await startTestApp({
      db,
      env: { API_KEY_PEPPERS: SHARED_PEPPER, RESET_REVOKES_API_KEYS: 'false' },
    });
    try {
      const owner = await registerAndLogin(keeping);
      const key = await createKey(keeping, owner.token);
      expect(await resetPassword(keeping, owner.user.email)).toEqual({ sessionsEnded: 1, apiKeysRevoked: 0 });
      expect(await answerTo(keeping, key.key)).toBe('200');
      expect(await answerTo(a, key.key)).toBe('200');
      expect((await keeping.request('/v1/me', { headers: bearer(owner.token) })).status).toBe(401);
      const [row] = await adminQuery<{ status: string }>(db, 'SELECT status FROM api_keys WHERE id = $1', [key.id]);
      expect(row.status).toBe('active');
    } finally {
      await keeping.close(); // not stop(): the database is shared
    }
  });

  it('a password change keeps the keys and lists the live ones (id, name, prefix, scopes)', async () => {
    const owner = await registerAndLogin(a);
    const kept = await createKey(a, owner.token, { name: 'kept', scopes: ['profiles:read'] });
    const gone = await createKey(a, owner.token, { name: 'gone' });
    expect(
      (await a.request(`/v1/api-keys/${gone.id}`, { method: 'DELETE', headers: bearer(owner.token) })).status,
    ).toBe(204);
    const res = await a.request(
      '/v1/auth/password',
      jsonPost({ currentPassword: owner.user.password, newPassword: NEW_PASSWORD }, bearer(owner.token)),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      otherSessionsEnded: 0,
      activeApiKeys: [{ id: kept.id, name: 'kept', prefix: kept.prefix, scopes: ['profiles:read'] }],
    });
    expect(await answerTo(a, kept.key)).toBe('200');
  });
});

describe('POST /v1/api-keys/revoke-all and key creation notices (real PostgreSQL)', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => ({ db, a, b } = await twoInstances()));
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  it('revokes all and only the caller’s live keys, on every instance; an API key as caller is refused', async () => {
    const owner = await registerAndLogin(a);
    const other = await userWithScopes(a, ['admin:all']);
    const mine = [
      await createKey(a, owner.token, { name: 'one' }),
      await createKey(a, owner.token, { name: 'two' }),
      await createKey(a, owner.token, { name: 'three' }),
    ];
    const theirs = await createKey(a, other.token, { name: 'an admin’s own key' });
    for (const k of mine) expect(await answerTo(b, k.key)).toBe('200'); // cached on b

    const byKey = await a.request('/v1/api-keys/revoke-all', { method: 'POST', headers: bearer(mine[0].key) });
    expect(await problem(byKey)).toMatchObject({ status: 403, code: 'SESSION_REQUIRED' });
    expect(await answerTo(a, mine[0].key)).toBe('200');

    const res = await a.request('/v1/api-keys/revoke-all', { method: 'POST', headers: bearer(owner.token) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { revoked: number; ids: string[] };
    expect(body.revoked).toBe(3);
    expect([...body.ids].sort()).toEqual(mine.map((k) => k.id).sort());
    for (const k of mine) {
      expect(await answerTo(a, k.key)).toBe('401 API_KEY_REVOKED');
      expect(await refusedWithin(b, k.key)).toBe('401 API_KEY_REVOKED');
    }
    expect(await answerTo(b, theirs.key)).toBe('200');
    // An administrator's revoke-all is their own keys only.
    const adminRes = await a.request('/v1/api-keys/revoke-all', { method: 'POST', headers: bearer(other.token) });
    expect(await adminRes.json()).toEqual({ revoked: 1, ids: [theirs.id] });
    const again = await a.request('/v1/api-keys/revoke-all', { method: 'POST', headers: bearer(owner.token) });
    expect(await again.json()).toEqual({ revoked: 0, ids: [] });
    const audited = await adminQuery<{ n: number }>(
      db,
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'api_key.revoke' AND actor_id = $1 AND details->>'bulk' = 'true'`,
      [owner.userId],
    );
    expect(audited[0].n).toBe(3);
  });

  it('every key creation mails the owner: name, prefix, scopes, the client’s address and who; never the secret', async () => {
    const owner = await registerAndLogin(a);
    const res = await a.request(
      '/v1/api-keys',
      jsonPost(
        { name: 'nightly export', scopes: ['profiles:read'] },
        bearer(owner.token, { 'x-forwarded-for': '203.0.113.77' }),
      ),
    );
    expect(res.status).toBe(201);
    const key = (await res.json()) as CreatedKey;
    const [mail] = (await outbox(a, owner.user.email)).filter((m) => m.kind === 'api_key.created');
    expect(mail.body).toContain(`"nightly export" (${key.prefix})`);
    expect(mail.body).toContain('by you, from a signed-in session from 203.0.113.77');
    expect(mail.body).toContain('scopes: profiles:read');
    expect(mail.body).not.toContain(key.key.slice(key.prefix.length + 1));
    // The owner's own rotation mints a secret too: the same notice, naming the key it rotates.
    const rotated = await a.request(
      `/v1/api-keys/${key.id}/rotate`,
      jsonPost({ gracePeriodHours: 0 }, bearer(owner.token)),
    );
    expect(rotated.status).toBe(201);
    const successor = (await rotated.json()) as CreatedKey;
    const notices = (await outbox(a, owner.user.email)).filter((m) => m.kind === 'api_key.created');
    expect(notices).toHaveLength(2);
    expect(notices[1].body).toContain(`(${successor.prefix}) was created by you`);
    expect(notices[1].body).toContain(`rotating ${key.prefix}`);
    expect(notices[1].body).not.toContain(successor.key.slice(successor.prefix.length + 1));
  });

  it('a key an administrator mints in the owner’s name (a rotation) mails the owner who, from where and its scopes', async () => {
    const owner = await registerAndLogin(a);
    const admin = await userWithScopes(a, ['admin:all']);
    const key = await createKey(a, owner.token, { name: 'shared', scopes: ['profiles:read'] });
    const res = await a.request(
      `/v1/api-keys/${key.id}/rotate`,
      jsonPost({ gracePeriodHours: 0 }, bearer(admin.token, { 'x-forwarded-for': '198.51.100.200' })),
    );
    expect(res.status).toBe(201);
    const successor = (await res.json()) as CreatedKey;
    const [mail] = (await outbox(a, owner.user.email)).filter((m) => m.kind === 'api_key.rotated_by_admin');
    expect(mail.body).toContain(`by an administrator (user ${admin.userId}) from 198.51.100.200`);
    expect(mail.body).toContain(successor.prefix);
    expect(mail.body).toContain('scopes: profiles:read');
    expect(mail.body).not.toContain(successor.key.slice(successor.prefix.length + 1));
    // The administrator's own key creation mails the administrator.
    await createKey(a, admin.token, { name: 'admin tooling' });
    const adminMails = await adminQuery<{ body: string }>(
      db,
      `SELECT o.body FROM outbox_messages o JOIN users u ON u.email = o.recipient WHERE u.id = $1 AND o.kind = 'api_key.created'`,
      [admin.userId],
    );
    expect(adminMails).toHaveLength(1);
    expect(adminMails[0].body).toContain('"admin tooling"');
  });
});
