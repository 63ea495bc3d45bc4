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
import type { FastifyReply } from 'fastify';
import { AttemptSource, LockoutVerdict, LoginLockout } from './lockout/login-lockout.service';
import { LoginView, RegistrationView, UserView } from './dto/user.response';
import { User } from './entities/user.entity';
import { ClientInfo, LoginFlow } from './login-flow.service';
import { PasswordHasher } from './password/password-hasher';
import { PasswordPolicy } from './password/password-policy';
import { SecondFactorChallenge } from './second-factor-gates';
import { SessionsService } from './sessions.service';
import { newOpaqueToken, tokenDigest } from './tokens';
import { userView } from './user-view';

export type { ClientInfo } from './login-flow.service';
export { userView } from './user-view';
export { UserView } from './dto/user.response';
export type LoginResult = LoginView;

export const REGISTRATION_ANSWER = {
  status: 'pending_verification',
  message: 'If the address can be registered, a message is on its way to it. Follow the link in it to finish.',
} as const;

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
    private readonly flow: LoginFlow,
  ) {}

  /** The password policy, then the breached-password lists (PASSWORD_TOO_WEAK, PASSWORD_BREACHED: no count told). */
  async enforcePolicy(password: string, user: { email?: string; username?: string }): Promise<void> {
    const result = this.policy.check(password, user);
    if (!result.ok) {
      throw new AuthException(AuthErrorCode.PASSWORD_TOO_WEAK, 'Choose a stronger password.', {
        score: result.score,
        suggestions: result.suggestions,
      });
    }
    if (await this.policy.isBreached(password))
      throw new AuthException(
        AuthErrorCode.PASSWORD_BREACHED,
        'This password appears in a list of passwords exposed in data breaches; choose another.',
      );
  }

  /**
   * Registration answers the same for a new and a taken email or username (status, body and, by hashing in both
   * paths, timing); the owner of an existing account is told by mail instead.
   */
  async register(input: { email: string; username: string; password: string }): Promise<RegistrationView> {
    await this.enforcePolicy(input.password, input);
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

  /** See LoginFlow.login: the password step, then a session (and device token) or a second-factor challenge. */
  login(
    input: { email: string; password: string; deviceToken?: string },
    client: ClientInfo,
  ): Promise<LoginView | SecondFactorChallenge> {
    return this.flow.login(input, client);
  }

  /** A login's answer, with the `__Host-device` cookie set when it issued a session. */
  withDeviceCookie<T extends LoginView | SecondFactorChallenge>(view: T, reply: FastifyReply): T {
    return this.flow.withDeviceCookie(view, reply);
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
