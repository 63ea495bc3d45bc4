import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit';
import { RandomSource } from '@app/crypto';
import {
  AppConfig,
  Clock,
  CoreErrorCode,
  DEFAULT_USER_SCOPES,
  isUniqueViolation,
  Principal,
  violatedConstraint,
  CoreException,
  currentRequest,
} from '@app/core';
import { NotificationsService } from '@app/notifications';
import type { EntityManager } from 'typeorm';
import { AuthErrorCode, AuthException } from './auth-error-codes';
import { authMails } from './auth.mails';
import { AuthRepository } from './auth.repository';
import {
  addressHash,
  AttemptSource,
  LockoutSubject,
  LockoutVerdict,
  LoginLockout,
} from './lockout/login-lockout.service';
import { deviceCookie } from './lockout/device-cookie';
import { LoginView, RegistrationView, UserView } from './dto/user.response';
import { User } from './entities/user.entity';
import { PasswordHasher } from './password/password-hasher';
import { PasswordPolicy } from './password/password-policy';
import { SessionsService } from './sessions.service';
import { newOpaqueToken, tokenDigest } from './tokens';

export interface ClientInfo {
  ip?: string;
  userAgent?: string;
  /** A device token the client presented (the `__Host-device` cookie), when the body carries none. */
  deviceToken?: string;
}

export { UserView } from './dto/user.response';
export type LoginResult = LoginView;

export const REGISTRATION_ANSWER = {
  status: 'pending_verification',
  message: 'If the address can be registered, a message is on its way to it. Follow the link in it to finish.',
} as const;

export function userView(u: User): UserView {
  return {
    id: u.id,
    email: u.email,
    username: u.username,
    role: u.role,
    scopes: u.scopes,
    emailVerified: !!u.emailVerifiedAt,
    passwordChangedAt: u.passwordChangedAt.toISOString(),
    createdAt: u.createdAt.toISOString(),
  };
}

const VERIFY_TTL_MS = 24 * 3_600_000;

@Injectable()
export class AuthService {
  constructor(
    private readonly repo: AuthRepository,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly sessions: SessionsService,
    private readonly lockout: LoginLockout,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly config: AppConfig,
  ) {}

  enforcePolicy(password: string, user: { email?: string; username?: string }): void {
    const result = this.policy.check(password, user);
    if (!result.ok) {
      throw new AuthException(AuthErrorCode.PASSWORD_TOO_WEAK, 'Choose a stronger password.', {
        score: result.score,
        suggestions: result.suggestions,
      });
    }
  }

  /**
   * Registration answers the same for a new and a taken email or username (status, body and, by hashing in both
   * paths, timing); the owner of an existing account is told by mail instead.
   */
  async register(input: { email: string; username: string; password: string }): Promise<RegistrationView> {
    this.enforcePolicy(input.password, input);
    const hash = await this.hasher.hash(input.password);
    const now = this.clock.now();
    try {
      await this.repo.transaction(async (em) => {
        const taken = await this.repo.existsEmailOrUsername(em, input.email, input.username);
        if (taken.email || taken.username) return this.answerTaken(em, input, taken);
        const user = await this.repo.insertUser(em, {
          email: input.email,
          username: input.username,
          passwordHash: hash,
          role: 'user',
          scopes: [...DEFAULT_USER_SCOPES],
          passwordChangedAt: now,
        });
        await this.sendVerification(em, user);
        await this.audit.record(
          { action: 'auth.register', outcome: 'success', actorId: user.id, targetType: 'user', targetId: user.id },
          em,
        );
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // A parallel registration won the race for this email/username: answer as for a taken one.
      const emailTaken = violatedConstraint(err) !== 'uq_users_username';
      await this.repo.transaction((em) => this.answerTaken(em, input, { email: emailTaken, username: !emailTaken }));
    }
    return REGISTRATION_ANSWER;
  }

  private async answerTaken(
    em: EntityManager,
    input: { email: string; username: string },
    taken: { email: boolean; username: boolean },
  ): Promise<void> {
    await this.notifications.enqueueEmailLimited(
      em,
      {
        kind: taken.email ? 'auth.register_existing' : 'auth.register_username_taken',
        to: input.email,
        ...(taken.email
          ? authMails.registerExisting(this.config.publicUrl)
          : authMails.registerUsernameTaken(input.username)),
      },
      this.config.env.AUTH_MAILS_PER_HOUR,
    );
    await this.audit.record(
      {
        action: 'auth.register',
        outcome: 'failure',
        details: { reason: taken.email ? 'email_taken' : 'username_taken' },
      },
      em,
    );
  }

  /** Queues a verification mail with a fresh token; false (and no token) when the address had its hourly share. */
  async sendVerification(em: EntityManager, user: User): Promise<boolean> {
    const token = newOpaqueToken(this.random);
    const now = this.clock.now();
    const queued = await this.notifications.enqueueEmailLimited(
      em,
      {
        kind: 'auth.verify_email',
        to: user.email,
        ...authMails.verifyEmail(this.config.publicUrl, token),
      },
      this.config.env.AUTH_MAILS_PER_HOUR,
    );
    if (queued)
      await this.repo.insertEmailToken(em, {
        userId: user.id,
        purpose: 'verify_email',
        tokenHash: tokenDigest(token),
        createdAt: now,
        expiresAt: new Date(now.getTime() + VERIFY_TTL_MS),
      });
    return queued;
  }

  /**
   * Login: the attempt's source (a device token of the account, else the client network, trusted when it signed in
   * to the account before), the per-IP failure throttle (not for a device of the account), then one atomic attempt
   * reservation per (account, source) — and per account for untrusted sources — before the Argon2 verify (so parallel
   * guesses past the limit are refused unverified), dummy verification for unknown users, and one 401 body for every
   * failure (unknown email, wrong password, locked, disabled). A success answers a device token (kept by the client).
   */
  async login(
    input: { email: string; password: string; deviceToken?: string },
    client: ClientInfo,
  ): Promise<LoginView> {
    const env = this.config.env;
    const now = this.clock.now();
    const ip = client.ip ?? 'unknown';
    const presented = input.deviceToken ?? client.deviceToken;
    const user = await this.repo.findByEmail(input.email);
    const live = user && !user.disabledAt ? user : undefined;
    // An address without an (enabled) account counts on its decoy row: the same statements, the same row writes and
    // one verification of the same cost as a real account's, so timing tells nothing.
    const subject: LockoutSubject = live ? { userId: live.id } : { addressHash: addressHash(input.email) };
    const source = await this.lockout.sourceOf(subject, { ip: client.ip, deviceToken: presented });
    if (source.source.kind !== 'device') await this.refuseBlockedAddress(ip, now);
    const verdict = await this.lockout.attemptWithLockout(
      subject,
      source,
      () => (live ? this.hasher.verify(live.passwordHash, input.password) : this.hasher.verifyDummy(input.password)),
      { whenRefused: () => this.hasher.verifyDummy(input.password) },
    );
    if (!live) return this.fail(ip, now, user ? 'disabled' : 'unknown_user', user?.id);
    if (verdict !== 'ok') return this.fail(ip, now, verdict === 'locked' ? 'locked' : 'wrong_password', live.id);
    const rehash = this.hasher.needsRehash(live.passwordHash) ? await this.hasher.hash(input.password) : undefined;
    // One transaction (one commit) for everything a successful login writes.
    const issued = await this.repo.transaction(async (em) => {
      // A password change or reset that committed while this login verified the old password wins.
      if ((await this.repo.lockPasswordHash(em, live.id)) !== live.passwordHash) return undefined;
      if (rehash) await this.repo.updatePasswordHash(em, live.id, rehash);
      const device = await this.lockout.rememberSignIn(em, live.id, source, presented);
      const session = await this.sessions.issue(live.id, { ...client, deviceId: device.deviceId }, em);
      const details = session.ended
        ? { otherSessionsEnded: session.ended, maxSessions: this.config.env.SESSION_MAX_PER_USER }
        : {};
      await this.audit.record(
        {
          action: 'auth.login',
          outcome: 'success',
          actorId: live.id,
          targetType: 'session',
          targetId: session.session.id,
          details: { ...details, source: source.source.kind, trusted: source.trusted },
        },
        em,
      );
      return { ...session, deviceToken: device.deviceToken };
    });
    if (!issued) return this.fail(ip, now, 'password_changed_during_login', live.id);
    if (issued.ended) this.sessions.forgetUser(live.id);
    const ageDays = Math.floor((now.getTime() - live.passwordChangedAt.getTime()) / 86_400_000);
    return {
      token: issued.token,
      expiresAt: issued.session.expiresAt.toISOString(),
      deviceToken: issued.deviceToken,
      user: userView(live),
      passwordAgeDays: ageDays,
      passwordNeedsRotation: env.PASSWORD_MAX_AGE_DAYS > 0 && ageDays >= env.PASSWORD_MAX_AGE_DAYS,
    };
  }

  /** The `Set-Cookie` value that keeps a device token in a browser (`__Host-device`, DEVICE_TOKEN_DAYS). */
  deviceCookie(token: string): string {
    return deviceCookie(token, this.config.env.DEVICE_TOKEN_DAYS);
  }

  /** Past IP_FAILURE_THRESHOLD failures (to any accounts) an address gets growing delays: 429 with Retry-After. */
  private async refuseBlockedAddress(ip: string, now: Date): Promise<void> {
    const blockedUntil = await this.repo.ipBlockedUntil(ip, now);
    if (!blockedUntil) return;
    const retryAfter = String(Math.max(1, Math.ceil((blockedUntil.getTime() - now.getTime()) / 1000)));
    throw new AuthException(AuthErrorCode.TOO_MANY_LOGIN_ATTEMPTS, 'Too many failed logins from this address.', {
      headers: { 'retry-after': retryAfter },
    });
  }

  /**
   * Checks a signed-in user's password under the lockout, counted under the session's source (the device it signed in
   * with, else the client network; trusted, so failures elsewhere never hold it back). Used by confirmPassword.
   */
  async verifyWithLockout(user: User, password: string, sessionId?: string): Promise<LockoutVerdict> {
    const source: AttemptSource = await this.lockout.sourceOfSession(sessionId, currentRequest()?.ip);
    return this.lockout.attemptWithLockout(
      { userId: user.id },
      source,
      () => this.hasher.verify(user.passwordHash, password),
      { whenRefused: () => this.hasher.verifyDummy(password) },
    );
  }

  private async fail(ip: string, now: Date, reason: string, userId?: string): Promise<never> {
    await this.repo.recordIpFailure(
      ip,
      now,
      this.config.env.LOCKOUT_WINDOW_MINUTES,
      this.config.env.IP_FAILURE_THRESHOLD,
    );
    await this.audit.record({
      action: 'auth.login',
      outcome: 'failure',
      targetType: userId ? 'user' : null,
      targetId: userId ?? null,
      details: { reason },
    });
    throw new AuthException(AuthErrorCode.INVALID_CREDENTIALS, 'Email or password is wrong.');
  }

  async logout(principal: Principal): Promise<void> {
    const sessionId = principal.sessionId;
    if (!sessionId) throw new CoreException(CoreErrorCode.SESSION_REQUIRED, 'Only a session can log out.');
    await this.repo.transaction(async (em) => {
      await this.sessions.revoke(principal.userId, sessionId, em);
      await this.audit.record(
        {
          action: 'auth.logout',
          outcome: 'success',
          actorId: principal.userId,
          targetType: 'session',
          targetId: sessionId,
        },
        em,
      );
    });
    this.sessions.forgetSession(sessionId);
  }

  /**
   * Re-checks the signed-in user's password before a destructive action, under the login lockout (a stolen session
   * cannot guess it freely). Throws CURRENT_PASSWORD_WRONG.
   */
  async confirmPassword(userId: string, password: string, action: string, sessionId?: string): Promise<UserView> {
    const user = await this.repo.findById(userId);
    if (!user) throw new AuthException(AuthErrorCode.USER_NOT_FOUND, 'No such user.');
    const verdict = await this.verifyWithLockout(user, password, sessionId);
    if (verdict !== 'ok') {
      await this.audit.record({
        action,
        outcome: 'failure',
        actorId: user.id,
        details: { reason: verdict === 'locked' ? 'locked' : 'password_wrong' },
      });
      throw new CoreException(CoreErrorCode.CURRENT_PASSWORD_WRONG, 'The password is wrong.');
    }
    // A right password has ended the source's failure run (attemptWithLockout), as a successful login does: otherwise
    // every confirmation's reserved attempt would count toward the lockout, and a few password changes would lock the
    // owner out.
    return userView(user);
  }

  /** Deletes the account; its sessions, email tokens, API keys and profile go with it (foreign keys cascade). */
  async deleteAccount(em: EntityManager, userId: string): Promise<void> {
    await em.query('DELETE FROM users WHERE id = $1', [userId]);
  }

  /** `em`: read in the caller's transaction (no second pooled connection while it holds locks). */
  async me(userId: string, em?: EntityManager): Promise<UserView> {
    const user = await this.repo.findById(userId, em);
    if (!user) throw new AuthException(AuthErrorCode.USER_NOT_FOUND, 'No such user.');
    return userView(user);
  }
}
