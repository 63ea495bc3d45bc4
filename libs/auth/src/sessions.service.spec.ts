import { AuthErrorCode } from './auth-error-codes';
import { authWorld, AuthWorld } from '../../../test/fakes/auth';
import { tokenDigest } from './tokens';

const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('SessionsService', () => {
  let w: AuthWorld;
  let userId: string;

  beforeEach(async () => {
    w = await authWorld({ SESSION_IDLE_MINUTES: '30', SESSION_ABSOLUTE_HOURS: '8', SESSION_MAX_PER_USER: '3' });
    userId = (await w.seedUser('ada')).id;
  });

  const issue = (ua = 'jest') =>
    w.db.transaction((em) => w.sessions.issue(userId, { ip: '192.0.2.1', userAgent: ua }, em));

  describe('issue', () => {
    it('hands out a random 43-character token and stores only its SHA-256', async () => {
      const a = await issue();
      const b = await issue();
      expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(a.token).not.toBe(b.token);
      expect(w.random.calls).toBe(2);
      const stored = w.tables.sessions.find((s) => s.id === a.session.id)!;
      expect(stored.tokenHash).toBe(tokenDigest(a.token));
      expect(JSON.stringify(w.tables.sessions)).not.toContain(a.token);
    });

    it('expires after SESSION_ABSOLUTE_HOURS and keeps at most 300 characters of the user agent', async () => {
      const { session } = await issue('x'.repeat(400));
      expect(session.expiresAt.getTime()).toBe(w.clock.nowMs() + 8 * HOUR);
      expect(session).toMatchObject({ createdAt: w.clock.now(), lastSeenAt: w.clock.now(), ip: '192.0.2.1' });
      expect(session.userAgent).toHaveLength(300);
    });

    it('ends the oldest sessions beyond SESSION_MAX_PER_USER, never the new one', async () => {
      const issued = [];
      for (let i = 0; i < 3; i++) {
        issued.push(await issue());
        w.clock.advance(1000);
      }
      expect(issued.map((s) => s.ended)).toEqual([0, 0, 0]);
      const fourth = await issue();
      expect(fourth.ended).toBe(1);
      expect(w.tables.activeSessions(userId).map((s) => s.id)).toEqual(
        [issued[1], issued[2], fourth].map((s) => s.session.id),
      );
      // A new session wins even when another instance's clock put an older one later in time.
      w.clock.advance(-60_000);
      const skewed = await issue();
      expect(skewed.ended).toBe(1);
      expect(w.tables.activeSessions(userId).map((s) => s.id)).toContain(skewed.session.id);
      expect(w.tables.activeSessions(userId)).toHaveLength(3);
    });
  });

  describe('resolve', () => {
    it('answers the session principal with the user’s current role, scopes and email verification', async () => {
      const { token, session } = await issue();
      w.tables.user(userId).scopes = ['audit:read'];
      expect(await w.sessions.resolve(token)).toEqual({
        kind: 'session',
        userId,
        role: 'user',
        scopes: ['audit:read'],
        sessionId: session.id,
        emailVerified: true,
        authenticatedAt: session.createdAt,
        aal: 'aal1',
        hasSecondFactor: false,
        mfaEnrolmentRequired: false,
      });
      w.tables.user(userId).emailVerifiedAt = null;
      expect(await w.sessions.resolve(token)).toMatchObject({ emailVerified: false });
    });

    it('refuses malformed, unknown, revoked and disabled-user tokens as SESSION_INVALID', async () => {
      const { token, session } = await issue();
      const invalid = { code: AuthErrorCode.SESSION_INVALID };
      await expect(w.sessions.resolve(`${token}x`)).rejects.toMatchObject(invalid);
      await expect(w.sessions.resolve('A'.repeat(43))).rejects.toMatchObject(invalid);
      w.tables.user(userId).disabledAt = w.clock.now();
      await expect(w.sessions.resolve(token)).rejects.toMatchObject(invalid);
      w.tables.user(userId).disabledAt = null;
      await expect(w.sessions.resolve(token)).resolves.toMatchObject({ userId });
      await w.db.transaction((em) => w.sessions.revoke(userId, session.id, em));
      await expect(w.sessions.resolve(token)).rejects.toMatchObject(invalid);
    });

    it('expires a session idle for SESSION_IDLE_MINUTES', async () => {
      const { token } = await issue();
      w.clock.advance(30 * MINUTE - 1);
      await expect(w.sessions.resolve(token)).resolves.toMatchObject({ userId });
      // That use counted as activity: the idle timer starts again from it.
      w.clock.advance(30 * MINUTE - 1);
      await expect(w.sessions.resolve(token)).resolves.toMatchObject({ userId });
      w.clock.advance(30 * MINUTE);
      await expect(w.sessions.resolve(token)).rejects.toMatchObject({ code: AuthErrorCode.SESSION_EXPIRED });
    });

    it('expires a session at its absolute lifetime however active it is', async () => {
      const { token } = await issue();
      for (let t = 0; t < 8 * 60 - 20; t += 20) {
        w.clock.advance(20 * MINUTE);
        await w.sessions.resolve(token);
      }
      w.clock.advance(20 * MINUTE);
      await expect(w.sessions.resolve(token)).rejects.toMatchObject({ code: AuthErrorCode.SESSION_EXPIRED });
    });

    it('writes last-seen at most once a minute, in the next batch (never on the request)', async () => {
      const { token, session } = await issue();
      const stored = () => w.tables.sessions.find((s) => s.id === session.id)!.lastSeenAt.getTime();
      const start = w.clock.nowMs();
      w.clock.advance(59_000);
      await w.sessions.resolve(token);
      await w.activity.flush();
      expect(stored()).toBe(start);
      w.clock.advance(2_000);
      await w.sessions.resolve(token);
      expect(stored()).toBe(start); // recorded, not yet written
      await w.activity.flush();
      expect(stored()).toBe(start + 61_000);
      expect(w.activity.flushes).toBe(1);
    });
  });

  describe('list and revoke', () => {
    it('lists the live sessions newest first and marks the current one', async () => {
      const a = await issue();
      w.clock.advance(1000);
      const b = await issue();
      w.clock.advance(1000);
      const c = await issue();
      await w.db.transaction((em) => w.sessions.revoke(userId, c.session.id, em));
      const list = await w.sessions.list(userId, a.session.id);
      expect(list.map((s) => [s.id, s.current])).toEqual([
        [b.session.id, false],
        [a.session.id, true],
      ]);
      expect(list[1]).toMatchObject({ createdAt: a.session.createdAt.toISOString(), ip: '192.0.2.1' });
      w.clock.advance(31 * MINUTE);
      expect(await w.sessions.list(userId)).toEqual([]);
    });

    it('revokes only the owner’s session, and revokeAll keeps the one asked for', async () => {
      const a = await issue();
      const b = await issue();
      const c = await issue();
      expect(await w.db.transaction((em) => w.sessions.revoke('another-user', a.session.id, em))).toBe(false);
      expect(await w.db.transaction((em) => w.sessions.revoke(userId, a.session.id, em))).toBe(true);
      expect(await w.db.transaction((em) => w.sessions.revoke(userId, a.session.id, em))).toBe(false);
      expect(await w.db.transaction((em) => w.sessions.revokeAll(userId, c.session.id, em))).toBe(1);
      expect(w.tables.activeSessions(userId).map((s) => s.id)).toEqual([c.session.id]);
      expect(w.tables.sessions.find((s) => s.id === b.session.id)!.revokedAt).toEqual(w.clock.now());
    });
  });
});
