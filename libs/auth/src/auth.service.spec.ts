import { Logger } from '@nestjs/common';
import bcrypt from 'bcryptjs';
import { CoreErrorCode, DEFAULT_USER_SCOPES } from '@app/core';
import {
  authWorld,
  AuthWorld,
  decoyKey,
  OTHER_STRONG_PASSWORD,
  sessionOf,
  STRONG_PASSWORD,
} from '../../../test/fakes/auth';
import { AuthErrorCode } from './auth-error-codes';
import { REGISTRATION_ANSWER } from './auth.service';
import { User } from './entities/user.entity';
import { tokenDigest } from './tokens';

const MINUTE = 60_000;
/** The source key of the spec's default client address (198.51.100.1). */
const NET = 'net:198.51.100.0/24';
const decoy = (email: string) => `addr:${decoyKey(email)}`;
const invalid = { code: AuthErrorCode.INVALID_CREDENTIALS, message: 'Email or password is wrong.' };

describe('AuthService', () => {
  beforeAll(() => Logger.overrideLogger(false));

  describe('register', () => {
    let w: AuthWorld;
    beforeEach(async () => (w = await authWorld({ AUTH_MAILS_PER_HOUR: '2' })));

    const register = (email: string, username: string, password = STRONG_PASSWORD) =>
      w.auth.register({ email, username, password });

    it('creates an unverified user with the default scopes and mails a 24-hour verification token', async () => {
      expect(await register('ada@example.com', 'ada')).toEqual(REGISTRATION_ANSWER);
      const user = w.tables.userByEmail('ada@example.com');
      expect(user).toMatchObject({ username: 'ada', role: 'user', emailVerifiedAt: null });
      expect(user.scopes).toEqual(DEFAULT_USER_SCOPES);
      expect(user.passwordHash).toMatch(/^\$argon2id\$/);
      const token = w.tokenFromMail('auth.verify_email', 'ada@example.com');
      expect(w.tables.tokens).toMatchObject([
        { userId: user.id, purpose: 'verify_email', tokenHash: tokenDigest(token), usedAt: null },
      ]);
      expect(w.tables.tokens[0].expiresAt.getTime()).toBe(w.clock.nowMs() + 24 * 60 * MINUTE);
      expect(w.auditRepo.actions('auth.register')).toMatchObject([
        { outcome: 'success', actorId: user.id, targetId: user.id },
      ]);
    });

    it('answers a taken email the same, creates nothing and tells the owner by mail', async () => {
      await register('ada@example.com', 'ada');
      expect(await register('ada@example.com', 'someone-else')).toEqual(REGISTRATION_ANSWER);
      expect(w.tables.users).toHaveLength(1);
      expect(w.outbox.mails('auth.register_existing').map((m) => m.recipient)).toEqual(['ada@example.com']);
      expect(w.tables.tokens).toHaveLength(1);
      expect(w.auditRepo.actions('auth.register')[1]).toMatchObject({
        outcome: 'failure',
        actorId: null,
        details: { reason: 'email_taken' },
      });
    });

    it('answers a taken username the same and tells the new address to choose another', async () => {
      await register('ada@example.com', 'ada');
      expect(await register('bob@example.com', 'ada')).toEqual(REGISTRATION_ANSWER);
      expect(w.tables.users).toHaveLength(1);
      const [mail] = w.outbox.mails('auth.register_username_taken');
      expect(mail).toMatchObject({ recipient: 'bob@example.com' });
      expect(mail.body).toContain('"ada" is not available');
      expect(w.auditRepo.actions('auth.register')[1].details).toEqual({ reason: 'username_taken' });
    });

    it('answers a registration that lost the race for the address as a taken one', async () => {
      await register('ada@example.com', 'ada');
      // Both checked before either inserted: the unique constraint decides.
      jest.spyOn(w.repo, 'existsEmailOrUsername').mockResolvedValue({ email: false, username: false });
      expect(await register('ada@example.com', 'ada2')).toEqual(REGISTRATION_ANSWER);
      expect(await register('bob@example.com', 'ada')).toEqual(REGISTRATION_ANSWER);
      expect(w.tables.users).toHaveLength(1);
      expect(w.outbox.mails('auth.register_existing').map((m) => m.recipient)).toEqual(['ada@example.com']);
      expect(w.outbox.mails('auth.register_username_taken').map((m) => m.recipient)).toEqual(['bob@example.com']);
      expect(w.auditRepo.actions('auth.register').map((e) => e.outcome)).toEqual(['success', 'failure', 'failure']);
    });

    it('refuses a weak password before anything is written', async () => {
      await expect(register('ada@example.com', 'ada', 'ada@example.com1')).rejects.toMatchObject({
        code: AuthErrorCode.PASSWORD_TOO_WEAK,
        extras: { suggestions: expect.arrayContaining([expect.any(String)]) },
      });
      await expect(register('ada@example.com', 'ada', 'password1234')).rejects.toMatchObject({
        code: AuthErrorCode.PASSWORD_TOO_WEAK,
      });
      expect([w.tables.users, w.outbox.rows, w.auditRepo.rows]).toEqual([[], [], []]);
    });

    it('sends an address at most AUTH_MAILS_PER_HOUR "someone tried to register" mails an hour', async () => {
      await register('ada@example.com', 'ada');
      for (let i = 0; i < 4; i++) await register('ada@example.com', `other${i}`);
      expect(w.outbox.mails('auth.register_existing')).toHaveLength(2);
    });
  });

  describe('login', () => {
    let w: AuthWorld;
    let ada: User;

    beforeEach(async () => {
      w = await authWorld({
        LOCKOUT_MAX_ATTEMPTS: '3',
        LOCKOUT_WINDOW_MINUTES: '10',
        LOCKOUT_DURATION_MINUTES: '60',
        IP_FAILURE_THRESHOLD: '100',
      });
      ada = await w.seedUser('ada');
    });

    const login = (password: string, email = ada.email, ip = '198.51.100.1') =>
      sessionOf(w.auth.login({ email, password }, { ip, userAgent: 'jest' }));
    const reasons = () => w.auditRepo.actions('auth.login').map((e) => e.details.reason ?? e.outcome);

    it('opens a session for the right password and records it', async () => {
      w.clock.advance(3 * 86_400_000 + 5000);
      const result = await login(STRONG_PASSWORD);
      expect(result.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(result).toMatchObject({
        user: { id: ada.id, email: 'ada@example.com', emailVerified: true },
        passwordAgeDays: 3,
        passwordNeedsRotation: false,
      });
      const [session] = w.tables.activeSessions(ada.id);
      expect(session.tokenHash).toBe(tokenDigest(result.token));
      expect(result.expiresAt).toBe(session.expiresAt.toISOString());
      expect(w.auditRepo.actions('auth.login')).toMatchObject([
        {
          outcome: 'success',
          actorId: ada.id,
          targetType: 'session',
          targetId: session.id,
          details: { source: 'network', trusted: false },
        },
      ]);
    });

    it('answers a wrong password, an unknown address and a disabled account with one error', async () => {
      await expect(login('wrong password entirely')).rejects.toMatchObject(invalid);
      await expect(login(STRONG_PASSWORD, 'nobody@example.com')).rejects.toMatchObject(invalid);
      w.tables.user(ada.id).disabledAt = w.clock.now();
      await expect(login(STRONG_PASSWORD)).rejects.toMatchObject(invalid);
      expect(reasons()).toEqual(['wrong_password', 'unknown_user', 'disabled']);
      expect(w.auditRepo.actions('auth.login').map((e) => e.targetId)).toEqual([ada.id, null, ada.id]);
      expect(w.tables.sessions).toEqual([]);
    });

    it('spends one dummy verification on an unknown or disabled account and counts it on a decoy row', async () => {
      const dummy = jest.spyOn(w.hasher, 'verifyDummy');
      const real = w.hasher.verifications;
      await expect(login(STRONG_PASSWORD, 'nobody@example.com')).rejects.toMatchObject(invalid);
      expect(dummy).toHaveBeenCalledTimes(1);
      // The decoy counts like an account from an untrusted source: its network row and its account-wide row.
      expect(w.tables.attempt(decoy('nobody@example.com'), NET)).toMatchObject({ failedAttempts: 1 });
      expect(w.tables.attempt(decoy('nobody@example.com'), 'untrusted')).toMatchObject({ failedAttempts: 1 });
      w.tables.user(ada.id).disabledAt = w.clock.now();
      await expect(login(STRONG_PASSWORD)).rejects.toMatchObject(invalid);
      expect(dummy).toHaveBeenCalledTimes(2);
      expect(w.tables.attempt(decoy(ada.email), NET)).toMatchObject({ failedAttempts: 1 });
      expect(w.hasher.verifications).toBe(real);
      expect(w.tables.attempt(`user:${ada.id}`, NET)).toBeUndefined();
    });

    it('locks the source after LOCKOUT_MAX_ATTEMPTS failures, then refuses it even the right password', async () => {
      for (let i = 0; i < 3; i++) await expect(login('wrong password entirely')).rejects.toMatchObject(invalid);
      expect(w.tables.attempt(`user:${ada.id}`, NET)!.lockedUntil).toEqual(new Date(w.clock.nowMs() + 60 * MINUTE));
      expect(w.auditRepo.actions('auth.lockout')).toMatchObject([
        { actorType: 'system', targetId: ada.id, details: { scope: 'source', source: NET, attempts: 3, minutes: 60 } },
      ]);
      const dummy = jest.spyOn(w.hasher, 'verifyDummy');
      const verified = w.hasher.verifications;
      await expect(login(STRONG_PASSWORD)).rejects.toMatchObject(invalid);
      // Locked: the same cost as a verification, but the password is never checked.
      expect(dummy).toHaveBeenCalledTimes(1);
      expect(w.hasher.verifications).toBe(verified);
      expect(reasons().slice(-1)).toEqual(['locked']);
      w.clock.advanceMinutes(59);
      await expect(login(STRONG_PASSWORD)).rejects.toMatchObject(invalid);
      expect(w.auditRepo.actions('auth.lockout')).toHaveLength(1);
      // Another network is another source: not locked out.
      await expect(login(STRONG_PASSWORD, ada.email, '203.0.113.7')).resolves.toMatchObject({ user: { id: ada.id } });
    });

    it('a device token of the account is a source of its own, trusted: failures elsewhere never hold it back', async () => {
      const first = await login(STRONG_PASSWORD, ada.email, '203.0.113.7');
      expect(first.deviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(w.tables.devices.map((d) => d.tokenHash)).toEqual([tokenDigest(first.deviceToken)]);
      // Nine networks, three wrong passwords each: every one locked, and the account refuses untrusted sources.
      for (let n = 0; n < 9; n++)
        for (let i = 0; i < 3; i++)
          await expect(login('wrong password entirely', ada.email, `192.0.${n + 10}.1`)).rejects.toMatchObject(invalid);
      await expect(login(STRONG_PASSWORD, ada.email, '192.0.99.1')).rejects.toMatchObject(invalid);
      const withDevice = await sessionOf(
        w.auth.login(
          { email: ada.email, password: STRONG_PASSWORD, deviceToken: first.deviceToken },
          { ip: '192.0.10.1' },
        ),
      );
      expect(withDevice.deviceToken).toBe(first.deviceToken);
      // The network that signed in before is trusted too.
      await expect(login(STRONG_PASSWORD, ada.email, '203.0.113.99')).resolves.toMatchObject({ user: { id: ada.id } });
      // A device token of another account counts for nothing on this one.
      const bob = await w.seedUser('bob');
      const bobs = await login(STRONG_PASSWORD, bob.email, '198.18.0.1');
      await expect(
        w.auth.login(
          { email: ada.email, password: STRONG_PASSWORD, deviceToken: bobs.deviceToken },
          { ip: '192.0.10.1' },
        ),
      ).rejects.toMatchObject(invalid);
    });

    it('refuses untrusted sources past LOCKOUT_UNTRUSTED_MAX_ATTEMPTS an hour, with doubling locks; mails the owner once', async () => {
      const untrusted = () => w.tables.attempt(`user:${ada.id}`, 'untrusted')!;
      let net = 0;
      const spend = async (n: number) => {
        for (let i = 0; i < n; i++)
          await expect(login('wrong password entirely', ada.email, `10.${net++}.0.1`)).rejects.toMatchObject(invalid);
      };
      await spend(10);
      expect(untrusted()).toMatchObject({ failedAttempts: 10, lockLevel: 1 });
      expect(untrusted().lockedUntil).toEqual(new Date(w.clock.nowMs() + 60 * MINUTE));
      const verified = w.hasher.verifications;
      await spend(5);
      expect(w.hasher.verifications).toBe(verified);
      expect(reasons().slice(-1)).toEqual(['locked']);
      w.clock.advanceMinutes(61);
      await spend(10);
      expect(untrusted().lockedUntil).toEqual(new Date(w.clock.nowMs() + 120 * MINUTE));
      w.clock.advanceMinutes(121);
      await spend(10);
      expect(untrusted().lockedUntil).toEqual(new Date(w.clock.nowMs() + 240 * MINUTE));
      expect(w.auditRepo.actions('auth.lockout').map((e) => e.details)).toEqual([
        { scope: 'untrusted', attempts: 10, minutes: 60, level: 1 },
        { scope: 'untrusted', attempts: 10, minutes: 120, level: 2 },
        { scope: 'untrusted', attempts: 10, minutes: 240, level: 3 },
      ]);
      expect(w.outbox.mails('auth.untrusted_lockout').map((m) => m.recipient)).toEqual([ada.email]);
      // Three ended windows of ten: 30 verifications in over three hours, not one more.
      expect(w.hasher.verifications).toBe(verified + 20);
      // A quiet day ends the streak: the next lock is short again and mails again.
      w.clock.advanceHours(28);
      await spend(10);
      expect(untrusted()).toMatchObject({ lockLevel: 1 });
      expect(w.outbox.mails('auth.untrusted_lockout')).toHaveLength(2);
    });

    it('lets the owner in once LOCKOUT_DURATION_MINUTES are over, with a fresh count', async () => {
      for (let i = 0; i < 3; i++) await expect(login('wrong password entirely')).rejects.toMatchObject(invalid);
      w.clock.advanceMinutes(60);
      await expect(login(STRONG_PASSWORD)).resolves.toMatchObject({ user: { id: ada.id } });
      expect(w.tables.attempt(`user:${ada.id}`, NET)).toBeUndefined();
    });

    it('counts failures within LOCKOUT_WINDOW_MINUTES only, and a success starts the count again', async () => {
      await expect(login('wrong password entirely')).rejects.toMatchObject(invalid);
      await expect(login('wrong password entirely')).rejects.toMatchObject(invalid);
      w.clock.advanceMinutes(10);
      await expect(login('wrong password entirely')).rejects.toMatchObject(invalid);
      await expect(login('wrong password entirely')).rejects.toMatchObject(invalid);
      await login(STRONG_PASSWORD);
      await expect(login('wrong password entirely')).rejects.toMatchObject(invalid);
      await expect(login('wrong password entirely')).rejects.toMatchObject(invalid);
      await expect(login(STRONG_PASSWORD)).resolves.toMatchObject({ user: { id: ada.id } });
      expect(w.auditRepo.actions('auth.lockout')).toEqual([]);
    });

    it('locks an unknown address the same way, without a lockout event', async () => {
      for (let i = 0; i < 4; i++)
        await expect(login(STRONG_PASSWORD, 'nobody@example.com')).rejects.toMatchObject(invalid);
      expect(w.tables.attempt(decoy('nobody@example.com'), NET)!.lockedUntil).not.toBeNull();
      expect(w.auditRepo.actions('auth.lockout')).toEqual([]);
    });

    it('lets parallel right passwords wait for attempts in flight instead of refusing them', async () => {
      const one = await authWorld({ LOCKOUT_MAX_ATTEMPTS: '1' });
      const bob = await one.seedUser('bob');
      const results = await Promise.all(
        [1, 2].map(() =>
          sessionOf(one.auth.login({ email: bob.email, password: STRONG_PASSWORD }, { ip: '192.0.2.5' })),
        ),
      );
      expect(results.map((r) => r.user.id)).toEqual([bob.id, bob.id]);
      expect(one.tables.activeSessions(bob.id)).toHaveLength(2);
    });

    it('blocks an address past IP_FAILURE_THRESHOLD with a growing Retry-After, without checking passwords', async () => {
      w = await authWorld({ IP_FAILURE_THRESHOLD: '2', LOCKOUT_MAX_ATTEMPTS: '100' });
      ada = await w.seedUser('ada');
      for (let i = 0; i < 3; i++) await expect(login('wrong password entirely')).rejects.toMatchObject(invalid);
      const verified = w.hasher.verifications;
      const blocked = { code: AuthErrorCode.TOO_MANY_LOGIN_ATTEMPTS, extras: { headers: { 'retry-after': '2' } } };
      await expect(login(STRONG_PASSWORD)).rejects.toMatchObject(blocked);
      expect(w.hasher.verifications).toBe(verified);
      // Another address is not affected; the blocked one may try again when the delay is over.
      await expect(login(STRONG_PASSWORD, ada.email, '203.0.113.9')).resolves.toBeDefined();
      w.clock.advance(1500);
      await expect(login(STRONG_PASSWORD)).rejects.toMatchObject({ extras: { headers: { 'retry-after': '1' } } });
      w.clock.advance(500);
      await expect(login('wrong password entirely')).rejects.toMatchObject(invalid);
      await expect(login(STRONG_PASSWORD)).rejects.toMatchObject({ extras: { headers: { 'retry-after': '4' } } });
    });

    it('upgrades a legacy bcrypt hash to Argon2id on a successful login', async () => {
      const legacy = await w.seedUser('old', { passwordHash: bcrypt.hashSync(OTHER_STRONG_PASSWORD, 4) });
      await login(OTHER_STRONG_PASSWORD, legacy.email);
      expect(w.tables.user(legacy.id).passwordHash).toMatch(/^\$argon2id\$/);
      await expect(login(OTHER_STRONG_PASSWORD, legacy.email)).resolves.toBeDefined();
    });

    it('fails a login whose password was changed while it was being verified', async () => {
      const verify = w.hasher.verify.bind(w.hasher);
      jest.spyOn(w.hasher, 'verify').mockImplementationOnce(async (hash, password) => {
        const ok = await verify(hash, password);
        w.tables.user(ada.id).passwordHash = await w.hasher.hash(OTHER_STRONG_PASSWORD);
        return ok;
      });
      await expect(login(STRONG_PASSWORD)).rejects.toMatchObject(invalid);
      expect(reasons()).toEqual(['password_changed_during_login']);
      expect(w.tables.sessions).toEqual([]);
    });

    it('records how many older sessions a login ended to stay within SESSION_MAX_PER_USER', async () => {
      w = await authWorld({ SESSION_MAX_PER_USER: '1' });
      ada = await w.seedUser('ada');
      await login(STRONG_PASSWORD);
      await login(STRONG_PASSWORD);
      expect(w.auditRepo.actions('auth.login').map((e) => e.details)).toEqual([
        { source: 'network', trusted: false },
        { otherSessionsEnded: 1, maxSessions: 1, source: 'network', trusted: true },
      ]);
      expect(w.tables.activeSessions(ada.id)).toHaveLength(1);
    });

    it('asks for rotation once the password is PASSWORD_MAX_AGE_DAYS old', async () => {
      w = await authWorld({ PASSWORD_MAX_AGE_DAYS: '90' });
      ada = await w.seedUser('ada');
      w.clock.advance(89 * 86_400_000);
      expect(await login(STRONG_PASSWORD)).toMatchObject({ passwordAgeDays: 89, passwordNeedsRotation: false });
      w.clock.advance(86_400_000);
      expect(await login(STRONG_PASSWORD)).toMatchObject({ passwordAgeDays: 90, passwordNeedsRotation: true });
    });
  });

  describe('logout, confirmPassword and me', () => {
    let w: AuthWorld;
    let ada: User;

    beforeEach(async () => {
      w = await authWorld({ LOCKOUT_MAX_ATTEMPTS: '2' });
      ada = await w.seedUser('ada');
    });

    it('logs out the calling session only; an API key cannot log out', async () => {
      const first = await w.signIn(ada);
      const second = await w.signIn(ada);
      await expect(w.auth.logout(w.apiKeyPrincipal(ada))).rejects.toMatchObject({
        code: CoreErrorCode.SESSION_REQUIRED,
      });
      await w.auth.logout(first.principal);
      await expect(w.sessions.resolve(first.login.token)).rejects.toMatchObject({
        code: AuthErrorCode.SESSION_INVALID,
      });
      await expect(w.sessions.resolve(second.login.token)).resolves.toMatchObject({ userId: ada.id });
      expect(w.auditRepo.actions('auth.logout')).toMatchObject([{ targetId: first.principal.sessionId }]);
    });

    it('confirms the password under the login lockout', async () => {
      const wrong = { code: CoreErrorCode.CURRENT_PASSWORD_WRONG };
      await expect(w.auth.confirmPassword(ada.id, 'not the password', 'x.delete')).rejects.toMatchObject(wrong);
      await expect(w.auth.confirmPassword(ada.id, 'not the password', 'x.delete')).rejects.toMatchObject(wrong);
      await expect(w.auth.confirmPassword(ada.id, STRONG_PASSWORD, 'x.delete')).rejects.toMatchObject(wrong);
      expect(w.auditRepo.actions('x.delete').map((e) => e.details.reason)).toEqual([
        'password_wrong',
        'password_wrong',
        'locked',
      ]);
      w.clock.advanceMinutes(30);
      await expect(w.auth.confirmPassword(ada.id, STRONG_PASSWORD, 'x.delete')).resolves.toMatchObject({ id: ada.id });
      await expect(w.auth.confirmPassword('missing', STRONG_PASSWORD, 'x')).rejects.toMatchObject({
        code: AuthErrorCode.USER_NOT_FOUND,
      });
    });

    it('a right confirmation ends the failure run: confirmations never add up to a lockout', async () => {
      for (let i = 0; i < 5; i++)
        await expect(w.auth.confirmPassword(ada.id, STRONG_PASSWORD, 'x.change')).resolves.toMatchObject({
          id: ada.id,
        });
      await expect(w.auth.confirmPassword(ada.id, 'not the password', 'x.change')).rejects.toMatchObject({
        code: CoreErrorCode.CURRENT_PASSWORD_WRONG,
      });
      expect((await w.signIn(ada)).login.token).toEqual(expect.any(String));
      expect(w.auditRepo.actions('auth.lockout')).toEqual([]);
    });

    it('shows the user, or USER_NOT_FOUND', async () => {
      expect(await w.auth.me(ada.id)).toMatchObject({ id: ada.id, username: 'ada', emailVerified: true });
      await expect(w.auth.me('missing')).rejects.toMatchObject({ code: AuthErrorCode.USER_NOT_FOUND });
    });
  });
});
