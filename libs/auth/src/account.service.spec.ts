import { Logger } from '@nestjs/common';
import { CoreErrorCode, CredentialRevoker, StandingCredential } from '@app/core';
import { authWorld, AuthWorld, OTHER_STRONG_PASSWORD, sessionOf, STRONG_PASSWORD } from '../../../test/fakes/auth';
import { transactionOf } from '../../../test/fakes/core';
import { FORGOT_ANSWER } from './account.service';
import { AuthErrorCode } from './auth-error-codes';
import { User } from './entities/user.entity';
import { tokenDigest } from './tokens';

const MINUTE = 60_000;
const THIRD_PASSWORD = 'harbor pepper glacier violin';
const tokenInvalid = { code: AuthErrorCode.TOKEN_INVALID };
const invalidLogin = { code: AuthErrorCode.INVALID_CREDENTIALS };

describe('AccountService', () => {
  let w: AuthWorld;
  let ada: User;

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(async () => {
    w = await authWorld({ AUTH_MAILS_PER_HOUR: '2', LOCKOUT_MAX_ATTEMPTS: '3' });
    ada = await w.seedUser('ada');
  });

  const login = (password: string, user = ada) =>
    sessionOf(w.auth.login({ email: user.email, password }, { ip: '192.0.2.1' }));
  const lockOut = async (user = ada) => {
    for (let i = 0; i < 3; i++)
      await expect(login('wrong password entirely', user)).rejects.toMatchObject(invalidLogin);
    expect(w.tables.attempt(`user:${user.id}`, 'net:192.0.2.0/24')!.lockedUntil).not.toBeNull();
  };
  const forgot = async (email = ada.email) => {
    expect(w.account.forgotPassword(email)).toEqual(FORGOT_ANSWER);
    await w.account.settled();
  };

  describe('reauthenticate', () => {
    it('renews this session’s authenticatedAt (no new session), and only after the right password', async () => {
      const current = await w.signIn(ada);
      const other = await w.signIn(ada);
      const signedInAt = current.principal.authenticatedAt!;
      w.clock.advance(20 * MINUTE);
      await expect(
        w.account.reauthenticate(current.principal, { password: 'wrong password entirely' }),
      ).rejects.toMatchObject({
        code: CoreErrorCode.CURRENT_PASSWORD_WRONG,
      });
      expect((await w.sessions.resolve(current.login.token)).authenticatedAt).toEqual(signedInAt);
      expect(await w.account.reauthenticate(current.principal, { password: STRONG_PASSWORD })).toEqual({
        authenticatedAt: w.clock.now().toISOString(),
        sensitiveActionsUntil: new Date(w.clock.nowMs() + 15 * MINUTE).toISOString(),
      });
      expect((await w.sessions.resolve(current.login.token)).authenticatedAt).toEqual(w.clock.now());
      expect((await w.sessions.resolve(other.login.token)).authenticatedAt).toEqual(signedInAt);
      expect(w.tables.sessions.filter((x) => x.userId === ada.id)).toHaveLength(2);
      expect(w.auditRepo.actions('auth.reauthenticate')).toMatchObject([
        { outcome: 'failure', details: { reason: 'password_wrong' } },
        { outcome: 'success', targetType: 'session', targetId: current.principal.sessionId },
      ]);
    });

    it('counts toward the lockout; is refused to a key, and to a session ended meanwhile', async () => {
      const { principal } = await w.signIn(ada);
      await expect(
        w.account.reauthenticate(w.apiKeyPrincipal(ada), { password: STRONG_PASSWORD }),
      ).rejects.toMatchObject({
        code: CoreErrorCode.SESSION_REQUIRED,
      });
      for (let i = 0; i < 3; i++)
        await expect(
          w.account.reauthenticate(principal, { password: 'wrong password entirely' }),
        ).rejects.toMatchObject({
          code: CoreErrorCode.CURRENT_PASSWORD_WRONG,
        });
      // Counted under the session's device (it signed in with one), not held back by failures elsewhere.
      const device = w.tables.activeSessions(ada.id)[0].deviceId;
      expect(w.tables.attempt(`user:${ada.id}`, `device:${device}`)!.lockedUntil).not.toBeNull();
      await expect(w.account.reauthenticate(principal, { password: STRONG_PASSWORD })).rejects.toMatchObject({
        code: CoreErrorCode.CURRENT_PASSWORD_WRONG,
      });
      w.clock.advance(31 * MINUTE); // the lock ends
      // Ended between the guard's resolution and the renewal (a logout elsewhere): nothing is renewed.
      await w.auth.logout(principal);
      await expect(w.account.reauthenticate(principal, { password: STRONG_PASSWORD })).rejects.toMatchObject({
        code: AuthErrorCode.SESSION_INVALID,
      });
    });
  });

  describe('changePassword', () => {
    it('sets the new password, ends every other session and keeps the current one', async () => {
      const current = await w.signIn(ada);
      const other = await w.signIn(ada);
      expect(await w.account.changePassword(current.principal, STRONG_PASSWORD, OTHER_STRONG_PASSWORD)).toEqual({
        otherSessionsEnded: 1,
        activeApiKeys: [],
      });
      await expect(w.sessions.resolve(other.login.token)).rejects.toMatchObject({
        code: AuthErrorCode.SESSION_INVALID,
      });
      await expect(w.sessions.resolve(current.login.token)).resolves.toMatchObject({ userId: ada.id });
      await expect(login(STRONG_PASSWORD)).rejects.toMatchObject(invalidLogin);
      await expect(login(OTHER_STRONG_PASSWORD)).resolves.toBeDefined();
      expect(w.tables.user(ada.id).passwordChangedAt).toEqual(w.clock.now());
      expect(w.auditRepo.actions('auth.password_change')).toMatchObject([
        { outcome: 'success', details: { sessionsEnded: 1 } },
      ]);
    });

    it('is refused to an API key, for a wrong current password and for a weak new one', async () => {
      const { principal } = await w.signIn(ada);
      const before = w.tables.user(ada.id).passwordHash;
      await expect(
        w.account.changePassword(w.apiKeyPrincipal(ada), STRONG_PASSWORD, OTHER_STRONG_PASSWORD),
      ).rejects.toMatchObject({ code: CoreErrorCode.SESSION_REQUIRED });
      await expect(
        w.account.changePassword(principal, 'not the password', OTHER_STRONG_PASSWORD),
      ).rejects.toMatchObject({ code: CoreErrorCode.CURRENT_PASSWORD_WRONG });
      await expect(w.account.changePassword(principal, STRONG_PASSWORD, 'ada-password-1')).rejects.toMatchObject({
        code: AuthErrorCode.PASSWORD_TOO_WEAK,
      });
      expect(w.tables.user(ada.id).passwordHash).toBe(before);
      expect(w.tables.activeSessions(ada.id)).toHaveLength(1);
    });

    it('ends outstanding reset links', async () => {
      const { principal } = await w.signIn(ada);
      await forgot();
      const link = w.tokenFromMail('auth.reset_password', ada.email);
      await w.account.changePassword(principal, STRONG_PASSWORD, OTHER_STRONG_PASSWORD);
      await expect(w.account.resetPassword(link, THIRD_PASSWORD)).rejects.toMatchObject(tokenInvalid);
    });
  });

  describe('forgotPassword and resetPassword', () => {
    it('answers the same for an unknown, a disabled and a real address, and mails only the real one', async () => {
      const bob = await w.seedUser('bob');
      w.tables.user(bob.id).disabledAt = w.clock.now();
      await forgot('nobody@example.com');
      await forgot(bob.email);
      await forgot(ada.email);
      expect(w.outbox.mails('auth.reset_password').map((m) => m.recipient)).toEqual([ada.email]);
      const token = w.tokenFromMail('auth.reset_password', ada.email);
      expect(w.tables.tokens).toMatchObject([
        { userId: ada.id, purpose: 'reset_password', tokenHash: tokenDigest(token), usedAt: null },
      ]);
      expect(w.tables.tokens[0].expiresAt.getTime()).toBe(w.clock.nowMs() + 60 * MINUTE);
    });

    it('sends at most AUTH_MAILS_PER_HOUR reset mails an hour, and makes no token past the limit', async () => {
      for (let i = 0; i < 3; i++) await forgot();
      expect(w.outbox.mails('auth.reset_password')).toHaveLength(2);
      expect(w.tables.tokens).toHaveLength(2);
      expect(w.auditRepo.actions('auth.password_reset_request').map((e) => e.outcome)).toEqual([
        'success',
        'success',
        'denied',
      ]);
    });

    it('works once: sets the password, ends every session, revokes device tokens and lifts a lockout', async () => {
      const { login: session } = await w.signIn(ada);
      await lockOut();
      await forgot();
      const token = w.tokenFromMail('auth.reset_password', ada.email);
      expect(await w.account.resetPassword(token, OTHER_STRONG_PASSWORD)).toEqual({
        sessionsEnded: 1,
        apiKeysRevoked: 0,
      });
      await expect(w.sessions.resolve(session.token)).rejects.toMatchObject({ code: AuthErrorCode.SESSION_INVALID });
      expect([...w.tables.attempts.keys()].filter((k) => k.startsWith(`user:${ada.id}|`))).toEqual([]);
      // Recovery evicts: the device tokens and remembered networks of whoever signed in before count for nothing.
      expect(w.tables.devices.filter((d) => d.userId === ada.id && !d.revokedAt)).toEqual([]);
      expect(w.tables.knownSources.filter((k) => k.userId === ada.id)).toEqual([]);
      expect(w.auditRepo.actions('auth.password_reset')).toMatchObject([{ details: { devicesRevoked: 1 } }]);
      await expect(login(OTHER_STRONG_PASSWORD)).resolves.toBeDefined();
      await expect(w.account.resetPassword(token, THIRD_PASSWORD)).rejects.toMatchObject(tokenInvalid);
      expect(w.auditRepo.actions('auth.password_reset')).toMatchObject([{ details: { sessionsEnded: 1 } }]);
    });

    it('refuses an expired link, a verification token and a link of a since disabled account', async () => {
      await forgot();
      const token = w.tokenFromMail('auth.reset_password', ada.email);
      w.clock.advanceMinutes(60);
      await expect(w.account.resetPassword(token, OTHER_STRONG_PASSWORD)).rejects.toMatchObject(tokenInvalid);

      w.clock.advanceMinutes(61);
      const unverified = await w.seedUser('carol', { verified: false });
      await w.db.transaction((em) => w.auth.sendVerification(em, unverified));
      const verifyToken = w.tokenFromMail('auth.verify_email', unverified.email);
      await expect(w.account.resetPassword(verifyToken, OTHER_STRONG_PASSWORD)).rejects.toMatchObject(tokenInvalid);

      await forgot();
      const fresh = w.tokenFromMail('auth.reset_password', ada.email);
      w.tables.user(ada.id).disabledAt = w.clock.now();
      await expect(w.account.resetPassword(fresh, OTHER_STRONG_PASSWORD)).rejects.toMatchObject(tokenInvalid);
      await expect(login(STRONG_PASSWORD)).rejects.toMatchObject(invalidLogin);
    });

    it('keeps the link usable when the new password is refused', async () => {
      await forgot();
      const token = w.tokenFromMail('auth.reset_password', ada.email);
      await expect(w.account.resetPassword(token, 'short')).rejects.toMatchObject({
        code: AuthErrorCode.PASSWORD_TOO_WEAK,
      });
      expect(w.tables.tokens[0].usedAt).toBeNull();
      await expect(w.account.resetPassword(token, OTHER_STRONG_PASSWORD)).resolves.toEqual({
        sessionsEnded: 0,
        apiKeysRevoked: 0,
      });
    });
  });

  describe('email verification', () => {
    let carol: User;
    beforeEach(async () => {
      carol = await w.seedUser('carol', { verified: false });
      await w.db.transaction((em) => w.auth.sendVerification(em, carol));
    });

    it('verifies the address once', async () => {
      const token = w.tokenFromMail('auth.verify_email', carol.email);
      w.clock.advanceMinutes(5);
      expect(await w.account.verifyEmail(token)).toEqual({ emailVerified: true });
      expect(w.tables.user(carol.id).emailVerifiedAt).toEqual(w.clock.now());
      await expect(w.account.verifyEmail(token)).rejects.toMatchObject(tokenInvalid);
      expect(w.auditRepo.actions('auth.email_verify')).toHaveLength(1);
    });

    it('refuses a link older than 24 hours and a reset token', async () => {
      const token = w.tokenFromMail('auth.verify_email', carol.email);
      w.clock.advanceHours(24);
      await expect(w.account.verifyEmail(token)).rejects.toMatchObject(tokenInvalid);
      await forgot(carol.email);
      await expect(w.account.verifyEmail(w.tokenFromMail('auth.reset_password', carol.email))).rejects.toMatchObject(
        tokenInvalid,
      );
      expect(w.tables.user(carol.id).emailVerifiedAt).toBeNull();
    });

    it('resends within the hourly limit, then answers VERIFICATION_MAIL_LIMIT; a verified user needs none', async () => {
      const principal = w.apiKeyPrincipal(carol);
      expect(await w.account.resendVerification(principal)).toEqual({ status: 'sent' });
      await expect(w.account.resendVerification(principal)).rejects.toMatchObject({
        code: AuthErrorCode.VERIFICATION_MAIL_LIMIT,
        extras: { headers: { 'retry-after': '3600' } },
      });
      expect(w.outbox.mails('auth.verify_email')).toHaveLength(2);
      expect(w.tables.tokens).toHaveLength(2);
      expect(await w.account.resendVerification(w.apiKeyPrincipal(ada))).toEqual({ status: 'already_verified' });
    });
  });

  describe('sessions', () => {
    it('revokes one of the caller’s sessions; another user’s is not found; keys cannot manage sessions', async () => {
      const mine = await w.signIn(ada);
      const bob = await w.seedUser('bob');
      const theirs = await w.signIn(bob);
      await expect(w.account.revokeSession(mine.principal, theirs.principal.sessionId!)).rejects.toMatchObject({
        code: AuthErrorCode.SESSION_NOT_FOUND,
      });
      await expect(w.sessions.resolve(theirs.login.token)).resolves.toMatchObject({ userId: bob.id });
      await expect(w.account.revokeSession(w.apiKeyPrincipal(ada), mine.principal.sessionId!)).rejects.toMatchObject({
        code: CoreErrorCode.SESSION_REQUIRED,
      });
      await w.account.revokeSession(mine.principal, mine.principal.sessionId!);
      await expect(w.sessions.resolve(mine.login.token)).rejects.toMatchObject({ code: AuthErrorCode.SESSION_INVALID });
    });

    it('ends all other sessions of the caller', async () => {
      const keep = await w.signIn(ada);
      await w.signIn(ada);
      await w.signIn(ada);
      expect(await w.account.revokeOtherSessions(keep.principal)).toEqual({ sessionsEnded: 2 });
      expect(w.tables.activeSessions(ada.id).map((s) => s.id)).toEqual([keep.principal.sessionId]);
      await expect(w.account.revokeOtherSessions(w.apiKeyPrincipal(ada))).rejects.toMatchObject({
        code: CoreErrorCode.SESSION_REQUIRED,
      });
    });
  });

  describe('standing credentials (API keys, through CredentialRevocation)', () => {
    const key = (id: string): StandingCredential => ({ id, name: `k${id}`, prefix: `sk_live_${id}`, scopes: ['a'] });

    /** A revoker like api-keys': it records the transaction it ran in and when its after-commit step ran. */
    function registerKeys(world: AuthWorld, live: Record<string, StandingCredential[]>) {
      const log: string[] = [];
      const revoker: CredentialRevoker = {
        name: 'apiKeys',
        listLive: async (userId, em) => {
          log.push(`list in ${transactionOf(em) === undefined ? 'no transaction' : 'a transaction'}`);
          return live[userId] ?? [];
        },
        revokeAll: async (userId, reason, em) => {
          world.db.assertOpen(em, 'revokeAll');
          log.push(`revoke ${reason} in transaction ${transactionOf(em)}, commits ${world.db.commits}`);
          const revoked = live[userId] ?? [];
          live[userId] = [];
          return { revoked, afterCommit: () => log.push(`after commit, commits ${world.db.commits}`) };
        },
      };
      world.credentials.register(revoker);
      return log;
    }

    it('a reset revokes every key of the account in its transaction and drops caches only after commit', async () => {
      const live = { [ada.id]: [key('1'), key('2')], other: [key('3')] };
      const log = registerKeys(w, live);
      await forgot();
      const commits = w.db.commits;
      const answer = await w.account.resetPassword(w.tokenFromMail('auth.reset_password', ada.email), THIRD_PASSWORD);
      expect(answer).toEqual({ sessionsEnded: 0, apiKeysRevoked: 2 });
      expect(live[ada.id]).toEqual([]);
      expect(live.other).toHaveLength(1);
      expect(log).toEqual([
        expect.stringMatching(new RegExp(`^revoke password_reset in transaction \\d+, commits ${commits}$`)),
        `after commit, commits ${commits + 1}`,
      ]);
      expect(w.auditRepo.actions('auth.password_reset')).toMatchObject([{ details: { apiKeysRevoked: 2 } }]);
      const audited = w.auditRepo.actions('auth.password_reset')[0];
      expect(log[0]).toContain(`in transaction ${w.auditRepo.writtenIn(audited)}`);
    });

    it('a refused new password revokes nothing (the transaction rolls back before any key is touched)', async () => {
      const live = { [ada.id]: [key('1')] };
      const log = registerKeys(w, live);
      await forgot();
      const token = w.tokenFromMail('auth.reset_password', ada.email);
      await expect(w.account.resetPassword(token, 'short')).rejects.toMatchObject({
        code: AuthErrorCode.PASSWORD_TOO_WEAK,
      });
      expect(log).toEqual([]);
      expect(live[ada.id]).toHaveLength(1);
    });

    it('with RESET_REVOKES_API_KEYS=false a reset leaves the keys alone (sessions still end)', async () => {
      const world = await authWorld({ RESET_REVOKES_API_KEYS: 'false' });
      const bea = await world.seedUser('bea');
      const live = { [bea.id]: [key('1')] };
      const log = registerKeys(world, live);
      const { login: session } = await world.signIn(bea);
      world.account.forgotPassword(bea.email);
      await world.account.settled();
      const token = world.tokenFromMail('auth.reset_password', bea.email);
      expect(await world.account.resetPassword(token, THIRD_PASSWORD)).toEqual({ sessionsEnded: 1, apiKeysRevoked: 0 });
      await expect(world.sessions.resolve(session.token)).rejects.toMatchObject({
        code: AuthErrorCode.SESSION_INVALID,
      });
      expect(log).toEqual([]);
      expect(live[bea.id]).toHaveLength(1);
    });

    it('a password change keeps the keys and lists them in its answer', async () => {
      const live = { [ada.id]: [key('1'), key('2')] };
      const log = registerKeys(w, live);
      const current = await w.signIn(ada);
      const answer = await w.account.changePassword(current.principal, STRONG_PASSWORD, OTHER_STRONG_PASSWORD);
      expect(answer.activeApiKeys).toEqual([key('1'), key('2')]);
      expect(live[ada.id]).toHaveLength(2);
      expect(log).toEqual(['list in a transaction']);
    });
  });
});
