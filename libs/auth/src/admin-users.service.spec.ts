import bcrypt from 'bcryptjs';
import { ADMIN_SCOPE, DEFAULT_USER_SCOPES, USER_CHANGES_TOPIC } from '@app/core';
import { authWorld, AuthWorld, OTHER_STRONG_PASSWORD, STRONG_PASSWORD } from '../../../test/fakes/auth';
import { AuthErrorCode } from './auth-error-codes';
import { User } from './entities/user.entity';

describe('AdminUsersService', () => {
  let w: AuthWorld;
  let root: User;
  let ada: User;

  beforeEach(async () => {
    w = await authWorld();
    root = await w.seedUser('root', { role: 'admin' });
    ada = await w.seedUser('ada');
  });

  const adminPrincipal = () => ({ ...w.apiKeyPrincipal(root), kind: 'session' as const, sessionId: 's-1' });

  describe('changeScopes', () => {
    it('adds and removes scopes (sorted, no duplicates) and tells every instance after the commit', async () => {
      const view = await w.admin.changeScopes(
        adminPrincipal(),
        ada.id,
        ['keys:verify', 'audit:read'],
        ['profiles:write'],
      );
      expect(view.scopes).toEqual(['audit:read', 'keys:verify', 'profiles:read', 'profiles:read_sensitive']);
      expect(w.tables.user(ada.id).scopes).toEqual(view.scopes);
      const transaction = w.auditRepo.writtenIn(w.auditRepo.actions('admin.user_scopes')[0]);
      expect(transaction).toBeDefined(); // the notice goes out with the change and its audit, or not at all
      expect(w.changes.delivered).toEqual([{ topic: USER_CHANGES_TOPIC, id: ada.id, transaction }]);
      expect(w.changes.local).toEqual([{ topic: USER_CHANGES_TOPIC, id: ada.id }]);
      expect(w.auditRepo.actions('admin.user_scopes')).toMatchObject([
        {
          actorId: root.id,
          actorType: 'user',
          targetId: ada.id,
          details: { add: ['keys:verify', 'audit:read'], remove: ['profiles:write'] },
        },
      ]);
    });

    it('refuses unknown scopes and unknown users, changing and announcing nothing', async () => {
      await expect(w.admin.changeScopes(undefined, ada.id, ['keys:verify', 'root:everything'])).rejects.toMatchObject({
        code: AuthErrorCode.UNKNOWN_SCOPE,
        message: 'Unknown scope(s): root:everything',
      });
      await expect(w.admin.changeScopes(undefined, ada.id, [], ['nope'])).rejects.toMatchObject({
        code: AuthErrorCode.UNKNOWN_SCOPE,
      });
      await expect(w.admin.changeScopes(undefined, 'missing', ['keys:verify'])).rejects.toMatchObject({
        code: AuthErrorCode.USER_NOT_FOUND,
      });
      expect(w.tables.user(ada.id).scopes).not.toContain('keys:verify');
      expect([w.changes.delivered, w.changes.local, w.auditRepo.actions('admin.user_scopes')]).toEqual([[], [], []]);
    });

    it('records a change made without an actor (the CLI) as the system’s', async () => {
      await w.admin.changeScopes(undefined, ada.id, ['keys:verify']);
      expect(w.auditRepo.actions('admin.user_scopes')).toMatchObject([{ actorId: null, actorType: 'system' }]);
    });
  });

  describe('disable', () => {
    it('disables the user, ends every session at once and stops their keys on every instance', async () => {
      const a = await w.signIn(ada);
      const b = await w.signIn(ada);
      expect(await w.admin.disable(adminPrincipal(), ada.id)).toEqual({ sessionsEnded: 2 });
      expect(w.tables.user(ada.id).disabledAt).toEqual(w.clock.now());
      for (const s of [a, b])
        await expect(w.sessions.resolve(s.login.token)).rejects.toMatchObject({ code: AuthErrorCode.SESSION_INVALID });
      await expect(w.auth.login({ email: ada.email, password: STRONG_PASSWORD }, {})).rejects.toMatchObject({
        code: AuthErrorCode.INVALID_CREDENTIALS,
      });
      const transaction = w.auditRepo.writtenIn(w.auditRepo.actions('admin.user_disable')[0]);
      expect(transaction).toBeDefined(); // the notice goes out with the change and its audit, or not at all
      expect(w.changes.delivered).toEqual([{ topic: USER_CHANGES_TOPIC, id: ada.id, transaction }]);
      expect(w.changes.local).toEqual([{ topic: USER_CHANGES_TOPIC, id: ada.id }]);
      expect(w.auditRepo.actions('admin.user_disable')).toMatchObject([
        { actorId: root.id, targetId: ada.id, details: { sessionsEnded: 2 } },
      ]);
    });

    it('answers USER_NOT_FOUND for an unknown id', async () => {
      await expect(w.admin.disable(undefined, 'missing')).rejects.toMatchObject({ code: AuthErrorCode.USER_NOT_FOUND });
      expect(w.changes.local).toEqual([]);
    });
  });

  describe('createAdmin', () => {
    it('creates a verified admin with admin:all and a normalised address', async () => {
      const view = await w.admin.createAdmin({
        email: '  Ops@Example.COM ',
        username: 'ops',
        password: OTHER_STRONG_PASSWORD,
      });
      expect(view).toMatchObject({ email: 'ops@example.com', role: 'admin', emailVerified: true });
      expect(view.scopes).toEqual([...DEFAULT_USER_SCOPES, ADMIN_SCOPE].sort());
      await expect(
        w.auth.login({ email: 'ops@example.com', password: OTHER_STRONG_PASSWORD }, {}),
      ).resolves.toMatchObject({ user: { role: 'admin' } });
      expect(w.auditRepo.actions('admin.user_create')).toMatchObject([{ actorType: 'system', targetId: view.id }]);
    });

    it('refuses a weak password', async () => {
      await expect(
        w.admin.createAdmin({ email: 'ops@example.com', username: 'ops', password: 'opsops123456' }),
      ).rejects.toMatchObject({ code: AuthErrorCode.PASSWORD_TOO_WEAK });
      expect(w.tables.users).toHaveLength(2);
    });
  });

  describe('importUsers', () => {
    it('keeps legacy hashes as they are, skips taken addresses and usernames, and upgrades on login', async () => {
      const legacy = bcrypt.hashSync(OTHER_STRONG_PASSWORD, 4);
      const result = await w.admin.importUsers([
        { email: ' Old@Example.com', username: 'old', passwordHash: legacy },
        { email: 'ada@example.com', username: 'ada-again', passwordHash: legacy },
        { email: 'new@example.com', username: 'ada', passwordHash: legacy },
        { email: 'boss@example.com', username: 'boss', passwordHash: legacy, role: 'admin' },
      ]);
      expect(result).toEqual({ imported: 2, skipped: 2 });
      const old = w.tables.userByEmail('old@example.com');
      expect(old).toMatchObject({ passwordHash: legacy, role: 'user', scopes: DEFAULT_USER_SCOPES });
      expect(w.tables.userByEmail('boss@example.com').scopes).toContain(ADMIN_SCOPE);
      expect(w.auditRepo.actions('admin.user_import')).toHaveLength(2);
      await w.auth.login({ email: 'old@example.com', password: OTHER_STRONG_PASSWORD }, {});
      expect(w.tables.user(old.id).passwordHash).toMatch(/^\$argon2id\$/);
    });
  });

  it('finds a user id by email', async () => {
    expect(await w.admin.findIdByEmail(ada.email)).toBe(ada.id);
    await expect(w.admin.findIdByEmail('nobody@example.com')).rejects.toMatchObject({
      code: AuthErrorCode.USER_NOT_FOUND,
    });
  });
});
