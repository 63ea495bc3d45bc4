import { AdminUsersService, PasswordHasher } from '@app/auth';
import bcrypt from 'bcryptjs';
import { adminQuery } from '../support/database';
import { startTestApp, TestApp } from '../support/app';
import {
  bearer,
  freshIp,
  jsonPost,
  outbox,
  registerAndLogin,
  STRONG_PASSWORD,
  tokenIn,
  uniqueUser,
} from '../support/auth-helpers';
import { userWithScopes } from '../support/key-helpers';
import { waitFor } from '../support/ports';
import { TestClock } from '../support/test-clock';

async function problem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/problem\+json/);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body.code).toBe(code);
  return body;
}

const countUsers = async (t: TestApp) =>
  Number((await adminQuery<{ n: string }>(t.db, 'SELECT count(*)::text AS n FROM users'))[0].n);

describe('auth (e2e over HTTP, real PostgreSQL)', () => {
  const clock = new TestClock();
  let t: TestApp;

  beforeAll(async () => {
    // This file sends dozens of registrations, logins and resets from loopback in well under a minute: the per-address
    // limits (IP_LIMIT_*, 10–30 a minute by default) are raised here and tested at their defaults in ip-throttle.e2e.ts.
    t = await startTestApp({
      clock,
      env: {
        // The admin of the scopes test has no second factor: MFA_REQUIRED_ROLES (admin by default) is tested in
        // mfa.e2e.ts.
        MFA_REQUIRED_ROLES: '',
        IP_FAILURE_THRESHOLD: '1000',
        IP_LIMIT_REGISTER: '1000',
        IP_LIMIT_LOGIN: '1000',
        IP_LIMIT_FORGOT: '1000',
        IP_LIMIT_RESET: '1000',
        IP_LIMIT_VERIFY: '1000',
      },
    });
  });
  afterAll(() => t?.stop());

  describe('registration', () => {
    it('registers, mails a verification link through the outbox, and verifies once', async () => {
      const u = uniqueUser();
      const res = await t.request('/v1/auth/register', jsonPost({ ...u, email: `  ${u.email.toUpperCase()} ` }));
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ status: 'pending_verification', message: expect.any(String) });
      const [mail] = await outbox(t, u.email);
      expect(mail.kind).toBe('auth.verify_email');
      const token = tokenIn(mail.body);
      const stored = await adminQuery<{ token_hash: string }>(t.db, 'SELECT token_hash FROM email_tokens');
      expect(stored.map((r) => r.token_hash)).not.toContain(token);

      const verify = await t.request('/v1/auth/email/verify', jsonPost({ token }));
      expect(verify.status).toBe(200);
      await problem(await t.request('/v1/auth/email/verify', jsonPost({ token })), 400, 'TOKEN_INVALID');
      const login = await t.request(
        '/v1/auth/login',
        jsonPost({ email: u.email, password: u.password }, { 'x-forwarded-for': freshIp() }),
      );
      const body = (await login.json()) as {
        user: { emailVerified: boolean };
        passwordAgeDays: number;
        passwordNeedsRotation: boolean;
        expiresAt: string;
      };
      expect(body).toMatchObject({ user: { emailVerified: true }, passwordAgeDays: 0, passwordNeedsRotation: false });
    });

    it('resends the verification mail to a signed-in unverified user; once verified there is nothing to send', async () => {
      const { token, user } = await registerAndLogin(t, undefined, { verified: false });
      const resend = await t.request('/v1/auth/email/resend', { method: 'POST', headers: bearer(token) });
      expect(resend.status).toBe(202);
      expect(await resend.json()).toEqual({ status: 'sent' });
      const mails = (await outbox(t, user.email)).filter((m) => m.kind === 'auth.verify_email');
      expect(mails).toHaveLength(2);
      expect((await t.request('/v1/auth/email/verify', jsonPost({ token: tokenIn(mails[1].body) }))).status).toBe(200);
      expect(
        await (await t.request('/v1/auth/email/resend', { method: 'POST', headers: bearer(token) })).json(),
      ).toEqual({ status: 'already_verified' });
    });

    it('sends at most AUTH_MAILS_PER_HOUR (3) mails of a kind to an address an hour: resend is refused, forgot and taken registrations answer as ever but send nothing more', async () => {
      const { token, user } = await registerAndLogin(t, undefined, { verified: false });
      const resend = () => t.request('/v1/auth/email/resend', { method: 'POST', headers: bearer(token) });
      expect((await resend()).status).toBe(202);
      expect((await resend()).status).toBe(202);
      await problem(await resend(), 429, 'VERIFICATION_MAIL_LIMIT');
      expect((await outbox(t, user.email)).filter((m) => m.kind === 'auth.verify_email')).toHaveLength(3);
      const [tokens] = await adminQuery<{ n: number }>(
        t.db,
        `SELECT count(*)::int AS n FROM email_tokens e JOIN users u ON u.id = e.user_id WHERE u.email = $1 AND e.purpose = 'verify_email'`,
        [user.email],
      );
      expect(tokens.n).toBe(3);

      const forgot = () => t.request('/v1/auth/password/forgot', jsonPost({ email: user.email }));
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await (await forgot()).json());
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
      // Reset requests are queued one after another in the background: once a later user's mail is out, these are done.
      const later = await registerAndLogin(t);
      await t.request('/v1/auth/password/forgot', jsonPost({ email: later.user.email }));
      await waitFor(
        async () =>
          (await outbox(t, later.user.email)).some((m) => m.kind === 'auth.reset_password') ? true : undefined,
        5000,
      );
      expect((await outbox(t, user.email)).filter((m) => m.kind === 'auth.reset_password')).toHaveLength(3);

      const again = () => t.request('/v1/auth/register', jsonPost({ ...uniqueUser(), email: user.email }));
      for (let i = 0; i < 5; i++) expect((await again()).status).toBe(202);
      expect((await outbox(t, user.email)).filter((m) => m.kind === 'auth.register_existing')).toHaveLength(3);
    });

    it('answers a taken email exactly like a new one and tells the owner by mail', async () => {
      const u = uniqueUser();
      const first = await t.request('/v1/auth/register', jsonPost(u));
      const again = await t.request('/v1/auth/register', jsonPost({ ...u, username: `${u.username}x` }));
      expect(again.status).toBe(first.status);
      expect(await again.json()).toEqual(await first.json());
      expect((await outbox(t, u.email)).map((m) => m.kind)).toEqual(['auth.verify_email', 'auth.register_existing']);
    });

    it('two parallel registrations of one email make one account and no 500', async () => {
      const u = uniqueUser();
      const before = await countUsers(t);
      const answers = await Promise.all([
        t.request('/v1/auth/register', jsonPost(u)),
        t.request('/v1/auth/register', jsonPost({ ...u, username: `${u.username}2` })),
      ]);
      expect(answers.map((r) => r.status)).toEqual([202, 202]);
      expect(await countUsers(t)).toBe(before + 1);
    });

    it.each([
      ['missing fields', { email: 'a@example.com' }],
      ['extra field', { ...uniqueUser(), role: 'admin' }],
      ['wrong types', { email: 1, username: ['x'], password: { a: 1 } }],
      ['huge email', { ...uniqueUser(), email: `${'a'.repeat(300)}@example.com` }],
      ['confusable username (fullwidth a)', { ...uniqueUser(), username: 'ａdmin' }],
      ['uppercase username', { ...uniqueUser(), username: 'Admin' }],
      ['129-character password', { ...uniqueUser(), password: 'x'.repeat(129) }],
      ['NUL byte in password', { ...uniqueUser(), password: 'orbit velvet\u0000cactus lantern' }],
      ['NUL byte in username', { ...uniqueUser(), username: 'ab\u0000cd' }],
    ])('refuses %s with 400 and stores nothing', async (_name, body) => {
      const before = await countUsers(t);
      await problem(await t.request('/v1/auth/register', jsonPost(body)), 400, 'VALIDATION_FAILED');
      expect(await countUsers(t)).toBe(before);
    });

    it('refuses a NUL byte in the login email with 400, not 500', async () => {
      await problem(
        await t.request('/v1/auth/login', jsonPost({ email: 'a\u0000@example.com', password: 'x' })),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('refuses a weak password with the score and concrete suggestions', async () => {
      const u = uniqueUser();
      const body = await problem(
        await t.request('/v1/auth/register', jsonPost({ ...u, password: `${u.username}2024!` })),
        400,
        'PASSWORD_TOO_WEAK',
      );
      expect(body).toMatchObject({
        score: expect.any(Number),
        suggestions: expect.arrayContaining([expect.stringMatching(/username/)]),
      });
    });
  });

  describe('login and sessions', () => {
    it('wrong password, unknown email and a disabled account give the same 401 body; disabling ends sessions at once', async () => {
      const { user, userId, token } = await registerAndLogin(t);
      const ip = { 'x-forwarded-for': freshIp() };
      const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
      const wrong = strip(
        await problem(
          await t.request('/v1/auth/login', jsonPost({ email: user.email, password: 'not the password at all' }, ip)),
          401,
          'INVALID_CREDENTIALS',
        ),
      );
      const unknown = strip(
        await problem(
          await t.request(
            '/v1/auth/login',
            jsonPost({ email: 'nobody@example.com', password: 'whatever password' }, ip),
          ),
          401,
          'INVALID_CREDENTIALS',
        ),
      );
      await t.app.get(AdminUsersService).disable(undefined, userId);
      await problem(await t.request('/v1/me', { headers: bearer(token) }), 401, 'SESSION_INVALID');
      const disabled = strip(
        await problem(
          await t.request('/v1/auth/login', jsonPost({ email: user.email, password: user.password }, ip)),
          401,
          'INVALID_CREDENTIALS',
        ),
      );
      expect(unknown).toEqual(wrong);
      expect(disabled).toEqual(wrong);
    });

    it('a token in the query string is refused', async () => {
      const { token } = await registerAndLogin(t);
      await problem(await t.request(`/v1/me?access_token=${token}`), 400, 'CREDENTIALS_IN_URL');
      expect(t.logs.text).not.toContain(token);
    });

    it('holds at most SESSION_MAX_PER_USER (20) sessions: a login beyond it ends the oldest, parallel logins too', async () => {
      const { user, userId, token: first } = await registerAndLogin(t);
      const login = async () =>
        (
          await t.request(
            '/v1/auth/login',
            jsonPost({ email: user.email, password: user.password }, { 'x-forwarded-for': freshIp() }),
          )
        ).status;
      for (let i = 0; i < 19; i++) expect(await login()).toBe(200);
      expect((await t.request('/v1/me', { headers: bearer(first) })).status).toBe(200);
      expect(await Promise.all(Array.from({ length: 8 }, login))).toEqual(Array(8).fill(200));
      await problem(await t.request('/v1/me', { headers: bearer(first) }), 401, 'SESSION_INVALID');
      const [active] = await adminQuery<{ n: number }>(
        t.db,
        'SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NULL',
        [userId],
      );
      expect(active.n).toBe(20);
      const [ended] = await adminQuery<{ n: number }>(
        t.db,
        `SELECT coalesce(sum((details->>'otherSessionsEnded')::int), 0)::int AS n FROM audit_events WHERE action = 'auth.login' AND actor_id = $1`,
        [userId],
      );
      expect(ended.n).toBe(8);
      // Sessions stamped later than this login (another instance's clock ahead): the new one is still the one kept.
      await adminQuery(t.db, `UPDATE sessions SET created_at = created_at + interval '1 hour' WHERE user_id = $1`, [
        userId,
      ]);
      const res = await t.request(
        '/v1/auth/login',
        jsonPost({ email: user.email, password: user.password }, { 'x-forwarded-for': freshIp() }),
      );
      const { token: newest } = (await res.json()) as { token: string };
      expect((await t.request('/v1/me', { headers: bearer(newest) })).status).toBe(200);
    });

    it('lists, revokes one, revokes all but current, logs out — each at once', async () => {
      const { user } = await registerAndLogin(t);
      const login = async () =>
        (
          (await (
            await t.request(
              '/v1/auth/login',
              jsonPost({ email: user.email, password: user.password }, { 'x-forwarded-for': freshIp() }),
            )
          ).json()) as { token: string }
        ).token;
      const [a, b, c] = [await login(), await login(), await login()];
      const list = (await (await t.request('/v1/auth/sessions', { headers: bearer(a) })).json()) as {
        items: { id: string; current: boolean }[];
      };
      expect(list.items.length).toBe(4);
      expect(list.items.filter((s) => s.current)).toHaveLength(1);
      const bId = (
        (await (await t.request('/v1/auth/sessions', { headers: bearer(b) })).json()) as {
          items: { id: string; current: boolean }[];
        }
      ).items.find((s) => s.current)!.id;
      expect((await t.request(`/v1/auth/sessions/${bId}`, { method: 'DELETE', headers: bearer(a) })).status).toBe(204);
      await problem(await t.request('/v1/me', { headers: bearer(b) }), 401, 'SESSION_INVALID');
      const all = await t.request('/v1/auth/sessions/revoke-all', { method: 'POST', headers: bearer(a) });
      expect(await all.json()).toEqual({ sessionsEnded: 2 });
      await problem(await t.request('/v1/me', { headers: bearer(c) }), 401, 'SESSION_INVALID');
      expect((await t.request('/v1/me', { headers: bearer(a) })).status).toBe(200);
      expect((await t.request('/v1/auth/logout', { method: 'POST', headers: bearer(a) })).status).toBe(204);
      await problem(await t.request('/v1/me', { headers: bearer(a) }), 401, 'SESSION_INVALID');
    });

    it("another user's session id answers 404, not 403", async () => {
      const one = await registerAndLogin(t);
      const two = await registerAndLogin(t);
      const twoId = (
        (await (await t.request('/v1/auth/sessions', { headers: bearer(two.token) })).json()) as {
          items: { id: string }[];
        }
      ).items[0].id;
      await problem(
        await t.request(`/v1/auth/sessions/${twoId}`, { method: 'DELETE', headers: bearer(one.token) }),
        404,
        'SESSION_NOT_FOUND',
      );
      expect((await t.request('/v1/me', { headers: bearer(two.token) })).status).toBe(200);
    });

    it('expires after 30 idle minutes (injected clock) and writes last-seen at most once a minute, in a batch', async () => {
      const { token, userId } = await registerAndLogin(t);
      const lastSeen = async () =>
        (
          await adminQuery<{ l: Date }>(t.db, 'SELECT last_seen_at AS l FROM sessions WHERE user_id = $1', [userId])
        )[0].l.getTime();
      const first = await lastSeen();
      clock.advance(30_000);
      await t.request('/v1/me', { headers: bearer(token) });
      await new Promise((r) => setTimeout(r, 1500)); // past the next batch (USAGE_FLUSH_INTERVAL_MS)
      expect(await lastSeen()).toBe(first);
      clock.advanceMinutes(29);
      expect((await t.request('/v1/me', { headers: bearer(token) })).status).toBe(200);
      // Written by the next batch, not by the request.
      expect(await waitFor(async () => ((await lastSeen()) > first ? true : undefined), 3000, 50)).toBe(true);
      clock.advanceMinutes(31);
      await problem(await t.request('/v1/me', { headers: bearer(token) }), 401, 'SESSION_EXPIRED');
    });

    it('expires 24 hours after login even when active', async () => {
      const { token } = await registerAndLogin(t);
      // 49 × 29 min = 23 h 41 min of activity: never idle, still inside the absolute lifetime.
      for (let i = 0; i < 49; i++) {
        clock.advanceMinutes(29);
        expect((await t.request('/v1/me', { headers: bearer(token) })).status).toBe(200);
      }
      clock.advanceMinutes(29);
      await problem(await t.request('/v1/me', { headers: bearer(token) }), 401, 'SESSION_EXPIRED');
    });
  });

  describe('passwords', () => {
    it('change ends the other sessions, keeps this one, and checks the current password and the policy', async () => {
      const { token, user } = await registerAndLogin(t);
      const other = (
        (await (
          await t.request(
            '/v1/auth/login',
            jsonPost({ email: user.email, password: user.password }, { 'x-forwarded-for': freshIp() }),
          )
        ).json()) as { token: string }
      ).token;
      await problem(
        await t.request(
          '/v1/auth/password',
          jsonPost({ currentPassword: 'wrong wrong wrong', newPassword: 'glacier mango tulip rocket' }, bearer(token)),
        ),
        400,
        'CURRENT_PASSWORD_WRONG',
      );
      await problem(
        await t.request(
          '/v1/auth/password',
          jsonPost({ currentPassword: user.password, newPassword: 'password' }, bearer(token)),
        ),
        400,
        'PASSWORD_TOO_WEAK',
      );
      const ok = await t.request(
        '/v1/auth/password',
        jsonPost({ currentPassword: user.password, newPassword: 'glacier mango tulip rocket' }, bearer(token)),
      );
      expect(await ok.json()).toEqual({ otherSessionsEnded: 1, activeApiKeys: [] });
      await problem(await t.request('/v1/me', { headers: bearer(other) }), 401, 'SESSION_INVALID');
      expect((await t.request('/v1/me', { headers: bearer(token) })).status).toBe(200);
    });

    it('guessing the current password counts toward the lockout', async () => {
      const { token, user } = await registerAndLogin(t);
      for (let i = 0; i < 5; i++) {
        await problem(
          await t.request(
            '/v1/auth/password',
            jsonPost(
              { currentPassword: `guess number ${i}`, newPassword: 'glacier mango tulip rocket' },
              bearer(token),
            ),
          ),
          400,
          'CURRENT_PASSWORD_WRONG',
        );
      }
      await problem(
        await t.request(
          '/v1/auth/password',
          jsonPost({ currentPassword: user.password, newPassword: 'glacier mango tulip rocket' }, bearer(token)),
        ),
        400,
        'CURRENT_PASSWORD_WRONG',
      );
      clock.advanceMinutes(31);
    });

    it('right current passwords never add up to a lockout (a refused new password, repeated, leaves sign-in open)', async () => {
      const { token, user } = await registerAndLogin(t);
      for (let i = 0; i < 6; i++) {
        await problem(
          await t.request(
            '/v1/auth/password',
            jsonPost({ currentPassword: user.password, newPassword: 'password' }, bearer(token)),
          ),
          400,
          'PASSWORD_TOO_WEAK',
        );
      }
      const login = await t.request(
        '/v1/auth/login',
        jsonPost({ email: user.email, password: user.password }, { 'x-forwarded-for': freshIp() }),
      );
      expect(login.status).toBe(200);
    });

    it('forgot answers the same for unknown addresses; reset works once, ends all sessions, expires after an hour', async () => {
      const { token, user } = await registerAndLogin(t);
      const known = await t.request('/v1/auth/password/forgot', jsonPost({ email: user.email }));
      const unknown = await t.request('/v1/auth/password/forgot', jsonPost({ email: 'nobody-at-all@example.com' }));
      expect(unknown.status).toBe(known.status);
      expect(await unknown.json()).toEqual(await known.json());
      const resetMail = await waitFor(
        async () => (await outbox(t, user.email)).find((m) => m.kind === 'auth.reset_password'),
        5000,
      );
      const resetToken = tokenIn(resetMail.body);
      const res = await t.request(
        '/v1/auth/password/reset',
        jsonPost({ token: resetToken, newPassword: 'harbor pepper violin snow' }),
      );
      expect(await res.json()).toEqual({ sessionsEnded: 1, apiKeysRevoked: 0 });
      await problem(await t.request('/v1/me', { headers: bearer(token) }), 401, 'SESSION_INVALID');
      await problem(
        await t.request(
          '/v1/auth/password/reset',
          jsonPost({ token: resetToken, newPassword: 'harbor pepper violin snow' }),
        ),
        400,
        'TOKEN_INVALID',
      );
      const login = await t.request(
        '/v1/auth/login',
        jsonPost({ email: user.email, password: 'harbor pepper violin snow' }, { 'x-forwarded-for': freshIp() }),
      );
      expect(login.status).toBe(200);

      await t.request('/v1/auth/password/forgot', jsonPost({ email: user.email }));
      const lateMail = await waitFor(async () => {
        const mails = (await outbox(t, user.email)).filter((m) => m.kind === 'auth.reset_password');
        return mails.length === 2 ? mails[1] : undefined;
      }, 5000);
      const late = tokenIn(lateMail.body);
      clock.advanceMinutes(61);
      await problem(
        await t.request(
          '/v1/auth/password/reset',
          jsonPost({ token: late, newPassword: 'harbor pepper violin snow 2' }),
        ),
        400,
        'TOKEN_INVALID',
      );
    });

    it('suggests policy-passing random passwords of the asked length', async () => {
      const res = await t.request('/v1/auth/password/suggest', jsonPost({ length: 24 }));
      const { password } = (await res.json()) as { password: string };
      expect(password).toHaveLength(24);
      await problem(await t.request('/v1/auth/password/suggest', jsonPost({ length: 8 })), 400, 'VALIDATION_FAILED');
    });

    it('upgrades an imported bcrypt hash to Argon2id on the next successful login', async () => {
      const u = uniqueUser('legacy');
      await t.app
        .get(AdminUsersService)
        .importUsers([{ email: u.email, username: u.username, passwordHash: bcrypt.hashSync(STRONG_PASSWORD, 4) }]);
      const hashOf = async () =>
        (await adminQuery<{ h: string }>(t.db, 'SELECT password_hash AS h FROM users WHERE email = $1', [u.email]))[0]
          .h;
      expect(await hashOf()).toMatch(/^\$2[ab]\$/);
      const login = await t.request(
        '/v1/auth/login',
        jsonPost({ email: u.email, password: STRONG_PASSWORD }, { 'x-forwarded-for': freshIp() }),
      );
      expect(login.status).toBe(200);
      expect(await hashOf()).toMatch(/^\$argon2id\$/);
      expect(t.app.get(PasswordHasher).needsRehash(await hashOf())).toBe(false);
    });
  });

  describe('admin scopes', () => {
    it('needs admin:all; an admin grants and removes scopes; unknown ids answer 404', async () => {
      const { token, userId } = await registerAndLogin(t);
      const body = await problem(
        await t.request(`/v1/admin/users/${userId}/scopes`, {
          ...jsonPost({ add: ['keys:verify'] }, bearer(token)),
          method: 'PATCH',
        }),
        403,
        'INSUFFICIENT_SCOPES',
      );
      expect(body).toMatchObject({ requiredScopes: ['admin:all'] });
      const admin = uniqueUser('admin');
      await t.app.get(AdminUsersService).createAdmin(admin);
      const adminToken = (
        (await (
          await t.request(
            '/v1/auth/login',
            jsonPost({ email: admin.email, password: admin.password }, { 'x-forwarded-for': freshIp() }),
          )
        ).json()) as { token: string }
      ).token;
      const res = await t.request(`/v1/admin/users/${userId}/scopes`, {
        ...jsonPost({ add: ['keys:verify'], remove: ['audit:read'] }, bearer(adminToken)),
        method: 'PATCH',
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { scopes: string[] }).scopes).toEqual([
        'keys:verify',
        'profiles:read',
        'profiles:read_sensitive',
        'profiles:write',
      ]);
      await problem(
        await t.request(`/v1/admin/users/${userId}/scopes`, {
          ...jsonPost({ add: ['root:all'] }, bearer(adminToken)),
          method: 'PATCH',
        }),
        400,
        'VALIDATION_FAILED',
      );
      await problem(
        await t.request(`/v1/admin/users/${userId}/scopes`, {
          ...jsonPost({ add: null }, bearer(adminToken)),
          method: 'PATCH',
        }),
        400,
        'VALIDATION_FAILED',
      );
      await problem(
        await t.request('/v1/admin/users/00000000-0000-4000-8000-000000000000/scopes', {
          ...jsonPost({ add: [] }, bearer(adminToken)),
          method: 'PATCH',
        }),
        404,
        'USER_NOT_FOUND',
      );

      // Disabling over HTTP: admin only, ends the user's sessions at once.
      await problem(
        await t.request(`/v1/admin/users/${userId}/disable`, { method: 'POST', headers: bearer(token) }),
        403,
        'INSUFFICIENT_SCOPES',
      );
      const disabled = await t.request(`/v1/admin/users/${userId}/disable`, {
        method: 'POST',
        headers: bearer(adminToken),
      });
      expect(disabled.status).toBe(200);
      expect(await disabled.json()).toEqual({ sessionsEnded: 1 });
      await problem(await t.request('/v1/me', { headers: bearer(token) }), 401, 'SESSION_INVALID');
      await problem(
        await t.request('/v1/admin/users/00000000-0000-4000-8000-000000000000/disable', {
          method: 'POST',
          headers: bearer(adminToken),
        }),
        404,
        'USER_NOT_FOUND',
      );
    });

    it('the scope catalogue is public; with a credential it also says which scopes that credential holds', async () => {
      const anonymous = (await (await t.request('/v1/scopes')).json()) as {
        items: { scope: string }[];
        held: string[] | null;
      };
      expect(anonymous.held).toBeNull();
      expect(anonymous.items.map((i) => i.scope)).toEqual(
        expect.arrayContaining(['profiles:read', 'admin:all', 'certificates:read']),
      );
      const { token } = await registerAndLogin(t);
      const mine = (await (await t.request('/v1/scopes', { headers: bearer(token) })).json()) as { held: string[] };
      expect([...mine.held].sort()).toEqual([
        'audit:read',
        'profiles:read',
        'profiles:read_sensitive',
        'profiles:write',
      ]);
    });

    it('admins see the scheduled jobs and run one now; the run is recorded; unknown names answer 404', async () => {
      const { token: adminToken } = await userWithScopes(t, ['admin:all']);
      const { token } = await registerAndLogin(t);
      await problem(await t.request('/v1/admin/jobs', { headers: bearer(token) }), 403, 'INSUFFICIENT_SCOPES');
      const run = await t.request('/v1/admin/jobs/sessions.purge/run', { method: 'POST', headers: bearer(adminToken) });
      expect(run.status).toBe(200);
      expect(await run.json()).toMatchObject({
        status: 'ran',
        outcome: 'success',
        counts: { sessions: expect.any(Number), emailTokens: expect.any(Number) },
      });
      const jobs = (await (await t.request('/v1/admin/jobs', { headers: bearer(adminToken) })).json()) as {
        items: { name: string; schedule: string; lastRuns: { outcome: string; period: string }[] }[];
        nextCursor: null;
      };
      expect(jobs.nextCursor).toBeNull();
      expect(jobs.items.map((j) => j.name)).toEqual(
        expect.arrayContaining([
          'sessions.purge',
          'outbox-delivery',
          'certificate-check',
          'crypto.rewrap',
          'job-runs.purge',
        ]),
      );
      const purge = jobs.items.find((j) => j.name === 'sessions.purge')!;
      expect(purge.lastRuns[0]).toMatchObject({ outcome: 'success', period: expect.stringMatching(/^manual:/) });
      await problem(
        await t.request('/v1/admin/jobs/no-such-job/run', { method: 'POST', headers: bearer(adminToken) }),
        404,
        'NOT_FOUND',
      );
    });
  });
});
