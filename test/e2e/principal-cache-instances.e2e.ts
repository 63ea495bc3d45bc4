import { AdminUsersService } from '@app/auth';
import { ChangeFeed, MetricsService } from '@app/core';
import { startTestApp, TestApp } from '../support/app';
import { bearer, freshIp, jsonPost, outbox, registerAndLogin, tokenIn } from '../support/auth-helpers';
import { adminQuery, createTestDatabase, TestDatabase } from '../support/database';
import { createKey, problem, SHARED_PEPPER, withKey } from '../support/key-helpers';
import { waitFor } from '../support/ports';

const NEW_PASSWORD = 'harbor pepper violin snow';

/** The status (and problem code) a credential gets on `GET /v1/me`. */
async function answerTo(t: TestApp, credential: string): Promise<string> {
  const res = await t.request('/v1/me', withKey(credential));
  if (res.status === 200) return '200';
  const p = await problem(res);
  return `${p.status} ${p.code}`;
}

/** Waits (up to `ms`) until `credential` is refused on `t`; answers the last answer. */
async function refusedWithin(t: TestApp, credential: string, ms = 1000): Promise<string> {
  let last = '';
  try {
    return await waitFor(
      async () => {
        last = await answerTo(t, credential);
        return last === '200' ? undefined : last;
      },
      ms,
      20,
    );
  } catch {
    return last;
  }
}

async function login(t: TestApp, email: string, password: string): Promise<string> {
  const res = await t.request('/v1/auth/login', jsonPost({ email, password }, { 'x-forwarded-for': freshIp() }));
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

const statementsOf = async (t: TestApp) =>
  (await t.app.get(MetricsService).dbStatements.get()).values.reduce((n, v) => n + v.value, 0);

describe('Cached sessions and users: warm principals cost no statement; every change is seen at once, on every instance (real PostgreSQL)', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { API_KEY_PEPPERS: SHARED_PEPPER };
    a = await startTestApp({ db, env });
    b = await startTestApp({ db, env });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  /** Signs in on `a` and makes the session warm on both instances. */
  async function warmSession(email: string, password: string): Promise<string> {
    const token = await login(a, email, password);
    for (const t of [a, b, a, b]) expect(await answerTo(t, token)).toBe('200');
    return token;
  }

  it('GET /v1/me with a warm session or key sends (almost) no statement: at most one background batch per second', async () => {
    const { token } = await registerAndLogin(a);
    const key = await createKey(a, token);
    for (const credential of [token, key.key]) {
      expect(await answerTo(a, credential)).toBe('200'); // warm
      const before = await statementsOf(a);
      const answers = await Promise.all(Array.from({ length: 200 }, () => answerTo(a, credential)));
      expect(answers.every((x) => x === '200')).toBe(true);
      // Key usage is flushed in a background batch (at most one per second); sessions write nothing within a minute.
      expect(((await statementsOf(a)) - before) / 200).toBeLessThanOrEqual(0.01);
    }
  });

  it('logout, one session revoked and the others revoked take effect on the next request here and within 1 s there', async () => {
    const { user } = await registerAndLogin(a);
    const loggedOut = await warmSession(user.email, user.password);
    expect((await a.request('/v1/auth/logout', { method: 'POST', headers: bearer(loggedOut) })).status).toBe(204);
    expect(await answerTo(a, loggedOut)).toBe('401 SESSION_INVALID');
    expect(await refusedWithin(b, loggedOut)).toBe('401 SESSION_INVALID');

    const keeper = await warmSession(user.email, user.password);
    const revoked = await warmSession(user.email, user.password);
    const sessions = (await (await a.request('/v1/auth/sessions', { headers: bearer(revoked) })).json()) as {
      items: { id: string; current: boolean }[];
    };
    const id = sessions.items.find((s) => s.current)!.id;
    expect((await a.request(`/v1/auth/sessions/${id}`, { method: 'DELETE', headers: bearer(keeper) })).status).toBe(
      204,
    );
    expect(await answerTo(a, revoked)).toBe('401 SESSION_INVALID');
    expect(await refusedWithin(b, revoked)).toBe('401 SESSION_INVALID');

    const other = await warmSession(user.email, user.password);
    const all = await a.request('/v1/auth/sessions/revoke-all', { method: 'POST', headers: bearer(keeper) });
    expect(all.status).toBe(200);
    expect(await answerTo(a, other)).toBe('401 SESSION_INVALID');
    expect(await refusedWithin(b, other)).toBe('401 SESSION_INVALID');
    expect(await answerTo(a, keeper)).toBe('200');
    expect(await answerTo(b, keeper)).toBe('200');
  });

  it('a password change ends the other sessions here and there; the user view shows the new change time at once', async () => {
    const { user } = await registerAndLogin(a);
    const current = await warmSession(user.email, user.password);
    const other = await warmSession(user.email, user.password);
    const before = (await (await b.request('/v1/me', withKey(current))).json()) as { passwordChangedAt: string };
    const res = await a.request(
      '/v1/auth/password',
      jsonPost({ currentPassword: user.password, newPassword: NEW_PASSWORD }, bearer(current)),
    );
    expect(res.status).toBe(200);
    expect(await answerTo(a, other)).toBe('401 SESSION_INVALID');
    expect(await refusedWithin(b, other)).toBe('401 SESSION_INVALID');
    const mine = (await (await a.request('/v1/me', withKey(current))).json()) as { passwordChangedAt: string };
    expect(mine.passwordChangedAt).not.toBe(before.passwordChangedAt);
    const there = await waitFor(async () => {
      const v = (await (await b.request('/v1/me', withKey(current))).json()) as { passwordChangedAt: string };
      return v.passwordChangedAt === mine.passwordChangedAt ? v : undefined;
    }, 1000);
    expect(there.passwordChangedAt).toBe(mine.passwordChangedAt);
  });

  it('a password reset ends every session here and there', async () => {
    const { user } = await registerAndLogin(a);
    const session = await warmSession(user.email, user.password);
    expect((await a.request('/v1/auth/password/forgot', jsonPost({ email: user.email }))).status).toBe(202);
    const mail = await waitFor(
      async () => (await outbox(a, user.email)).find((m) => m.kind === 'auth.reset_password'),
      5000,
    );
    const reset = await a.request(
      '/v1/auth/password/reset',
      jsonPost({ token: tokenIn(mail.body), newPassword: NEW_PASSWORD }),
    );
    expect(reset.status).toBe(200);
    expect(await answerTo(a, session)).toBe('401 SESSION_INVALID');
    expect(await refusedWithin(b, session)).toBe('401 SESSION_INVALID');
  });

  it('disabling a user stops their sessions and keys here and there', async () => {
    const { user, userId } = await registerAndLogin(a);
    const session = await warmSession(user.email, user.password);
    const key = await createKey(a, session);
    for (const t of [a, b, a, b]) expect(await answerTo(t, key.key)).toBe('200');
    await a.app.get(AdminUsersService).disable(undefined, userId);
    expect(await answerTo(a, session)).toBe('401 SESSION_INVALID');
    expect(await answerTo(a, key.key)).not.toBe('200');
    expect(await refusedWithin(b, session)).toBe('401 SESSION_INVALID');
    expect(await refusedWithin(b, key.key)).not.toBe('200');
  });

  it('a scope change applies to cached sessions and to the cached user view here and there', async () => {
    const { user, userId } = await registerAndLogin(a);
    const session = await warmSession(user.email, user.password);
    const scopesOn = async (t: TestApp) =>
      ((await (await t.request('/v1/me', withKey(session))).json()) as { scopes: string[] }).scopes;
    expect(await scopesOn(b)).not.toContain('crypto:encrypt');
    await a.app.get(AdminUsersService).changeScopes(undefined, userId, ['crypto:encrypt'], []);
    expect(await scopesOn(a)).toContain('crypto:encrypt');
    expect(await waitFor(async () => ((await scopesOn(b)).includes('crypto:encrypt') ? true : undefined), 1000)).toBe(
      true,
    );
    // Removing the scope /v1/me needs refuses the cached session at once.
    await a.app.get(AdminUsersService).changeScopes(undefined, userId, [], ['profiles:read']);
    expect(await answerTo(a, session)).toBe('403 INSUFFICIENT_SCOPES');
    expect(await refusedWithin(b, session)).toBe('403 INSUFFICIENT_SCOPES');
  });

  it('while the listener is down nothing stays cached: a logout meanwhile is seen there on the next request', async () => {
    const { user } = await registerAndLogin(a);
    const session = await warmSession(user.email, user.password);
    const feed = b.app.get(ChangeFeed);
    await adminQuery(
      db,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'security-backend-listener' AND datname = current_database()`,
    );
    await waitFor(async () => (feed.listening ? undefined : true), 2000, 5);
    expect((await a.request('/v1/auth/logout', { method: 'POST', headers: bearer(session) })).status).toBe(204);
    expect(await answerTo(b, session)).toBe('401 SESSION_INVALID');
    // Reconnected, invalidations flow again.
    await waitFor(async () => (feed.listening ? true : undefined), 5000, 20);
    await waitFor(async () => (a.app.get(ChangeFeed).listening ? true : undefined), 5000, 20);
    const next = await warmSession(user.email, user.password);
    expect((await a.request('/v1/auth/logout', { method: 'POST', headers: bearer(next) })).status).toBe(204);
    expect(await refusedWithin(b, next)).toBe('401 SESSION_INVALID');
  });
});
