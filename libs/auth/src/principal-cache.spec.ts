import { Logger } from '@nestjs/common';
import { USER_CHANGES_TOPIC } from '@app/core';
import { authWorld, AuthWorld, OTHER_STRONG_PASSWORD, sessionOf, STRONG_PASSWORD } from '../../../test/fakes/auth';
import type { AuthRepository } from './auth.repository';
import { AuthErrorCode } from './auth-error-codes';
import { User } from './entities/user.entity';
import { SESSION_TOPIC } from './principal-cache';
import { UserViews } from './user-views';

const MINUTE = 60_000;
const invalid = { code: AuthErrorCode.SESSION_INVALID };

/**
 * One instance, cache on. The fake change feed never delivers a notice back to the instance that published it, so
 * every "next request" below is refused only because the writer dropped its own entry after the commit.
 */
describe('PrincipalCache through SessionsService and UserViews (one instance)', () => {
  let w: AuthWorld;
  let ada: User;
  let reads: jest.SpyInstance;

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(async () => {
    w = await authWorld({ SESSION_CACHE_TTL_MS: '60000', SESSION_IDLE_MINUTES: '30' });
    ada = await w.seedUser('ada');
    reads = jest.spyOn(w.sessionsRepo, 'findByTokenHash');
  });

  /** Signs in and makes the session warm (answered from the cache from now on). */
  async function warm(user = ada): Promise<{ token: string; sessionId: string }> {
    const { login, principal } = await w.signIn(user);
    expect(w.sessions.resolve(login.token)).not.toBeInstanceOf(Promise);
    return { token: login.token, sessionId: principal.sessionId! };
  }

  it('a warm session is answered synchronously, without a read, with one frozen principal', async () => {
    const { token } = await warm();
    const before = reads.mock.calls.length;
    const first = w.sessions.resolve(token);
    for (let i = 0; i < 100; i++) expect(w.sessions.resolve(token)).toBe(first);
    expect(reads.mock.calls.length).toBe(before);
    expect(Object.isFrozen(first)).toBe(true);
    expect(w.cache.hits).toBeGreaterThanOrEqual(100);
  });

  it('logout, one revoked session and revoke-all are refused on the very next request', async () => {
    const a = await warm();
    await w.auth.logout(await w.sessions.resolve(a.token));
    await expect(w.sessions.resolve(a.token)).rejects.toMatchObject(invalid);

    const keeper = await warm();
    const b = await warm();
    await w.account.revokeSession(await w.sessions.resolve(keeper.token), b.sessionId);
    await expect(w.sessions.resolve(b.token)).rejects.toMatchObject(invalid);

    const c = await warm();
    await w.account.revokeOtherSessions(await w.sessions.resolve(keeper.token));
    await expect(w.sessions.resolve(c.token)).rejects.toMatchObject(invalid);
    expect(await w.sessions.resolve(keeper.token)).toMatchObject({ userId: ada.id });
    expect(w.changes.local).toEqual(
      expect.arrayContaining([
        { topic: SESSION_TOPIC, id: a.sessionId },
        { topic: SESSION_TOPIC, id: b.sessionId },
        { topic: USER_CHANGES_TOPIC, id: ada.id },
      ]),
    );
  });

  it('a password change ends the other sessions at once; a reset ends all', async () => {
    const current = await warm();
    const other = await warm();
    await w.account.changePassword(await w.sessions.resolve(current.token), STRONG_PASSWORD, OTHER_STRONG_PASSWORD);
    await expect(w.sessions.resolve(other.token)).rejects.toMatchObject(invalid);
    expect(await w.sessions.resolve(current.token)).toMatchObject({ userId: ada.id });

    w.account.forgotPassword(ada.email);
    await w.account.settled();
    await w.account.resetPassword(w.tokenFromMail('auth.reset_password', ada.email), 'harbor pepper glacier violin');
    await expect(w.sessions.resolve(current.token)).rejects.toMatchObject(invalid);
  });

  it('disabling the user, and a scope change, apply to the cached session at once', async () => {
    const s = await warm();
    await w.admin.changeScopes(undefined, ada.id, ['crypto:encrypt']);
    expect((await w.sessions.resolve(s.token)).scopes).toContain('crypto:encrypt');
    await w.admin.disable(undefined, ada.id);
    await expect(w.sessions.resolve(s.token)).rejects.toMatchObject(invalid);
  });

  it('a step-up renews the cached authenticatedAt at once', async () => {
    const s = await warm();
    w.clock.advance(20 * MINUTE);
    await w.account.reauthenticate(await w.sessions.resolve(s.token), { password: STRONG_PASSWORD });
    expect((await w.sessions.resolve(s.token)).authenticatedAt).toEqual(w.clock.now());
  });

  it('caches nothing while the change feed does not listen, and forgets everything when told anything changed', async () => {
    const s = await warm();
    w.changes.emitLocal(SESSION_TOPIC, undefined); // the listener lost its connection
    expect(w.cache.size).toEqual({ sessions: 0, users: 0 });
    w.changes.listening = false;
    const before = reads.mock.calls.length;
    await w.sessions.resolve(s.token);
    await w.sessions.resolve(s.token);
    expect(reads.mock.calls.length).toBe(before + 2);
    expect(w.cache.size.sessions).toBe(0);
  });

  it('a read that an invalidation overtook is not cached (it may hold the state from before the change)', async () => {
    const login = await sessionOf(w.auth.login({ email: ada.email, password: STRONG_PASSWORD }, { ip: '192.0.2.1' }));
    const loading = w.sessions.resolve(login.token); // reads before …
    expect(loading).toBeInstanceOf(Promise);
    w.cache.invalidateUser(ada.id); // … a change lands
    await loading;
    const before = reads.mock.calls.length;
    await w.sessions.resolve(login.token);
    expect(reads.mock.calls.length).toBe(before + 1);
  });

  it('idle and absolute timeouts hold for a cached session; use elsewhere (a newer stored last-seen) keeps it alive', async () => {
    const s = await warm();
    w.clock.advance(30 * MINUTE); // idle as far as this instance knows …
    const row = w.tables.sessions.find((x) => x.id === s.sessionId)!;
    row.lastSeenAt = new Date(w.clock.nowMs() - MINUTE); // … but another instance saw it a minute ago
    expect(await w.sessions.resolve(s.token)).toMatchObject({ userId: ada.id });
    w.clock.advance(30 * MINUTE);
    await expect(w.sessions.resolve(s.token)).rejects.toMatchObject({ code: AuthErrorCode.SESSION_EXPIRED });
    const t = await warm();
    for (let i = 0; i < 24 * 3; i++) {
      w.clock.advance(20 * MINUTE);
      if (w.clock.nowMs() >= w.tables.sessions.find((x) => x.id === t.sessionId)!.expiresAt.getTime()) break;
      await w.sessions.resolve(t.token);
    }
    await expect(w.sessions.resolve(t.token)).rejects.toMatchObject({ code: AuthErrorCode.SESSION_EXPIRED });
  });

  it('UserViews answers GET /v1/me from the cache and drops the user on a change', async () => {
    const findById = jest.spyOn(w.repo, 'findById');
    const users = new UserViews(w.repo as unknown as AuthRepository, w.cache);
    const first = await users.view(ada.id);
    expect(users.view(ada.id)).toBe(first);
    expect(findById).toHaveBeenCalledTimes(1);
    await w.admin.changeScopes(undefined, ada.id, ['crypto:encrypt']);
    expect((await users.view(ada.id)).scopes).toContain('crypto:encrypt');
    const { login } = await w.signIn(ada);
    await w.account.changePassword(await w.sessions.resolve(login.token), STRONG_PASSWORD, OTHER_STRONG_PASSWORD);
    expect((await users.view(ada.id)).passwordChangedAt).toBe(w.clock.now().toISOString());
  });
});
