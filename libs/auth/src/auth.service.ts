import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AuditService } from '@app/audit';
import { RandomSource } from '@app/crypto';
import {
  Aal,
  AppConfig,
  Clock,
  CoreErrorCode,
  DEFAULT_USER_SCOPES,
  isUniqueViolation,
  Principal,
  violatedConstraint,
  CoreException,
} from '@app/core';
import { NotificationsService } from '@app/notifications';
import type { EntityManager } from 'typeorm';
import { AuthErrorCode, AuthException } from './auth-error-codes';
import { authMails } from './auth.mails';
import { AuthRepository, LockoutRules, LockoutSubject } from './auth.repository';
import { LoginView, RegistrationView, UserView } from './dto/user.response';
import { User } from './entities/user.entity';
import { PasswordHasher } from './password/password-hasher';
import { PasswordPolicy } from './password/password-policy';
import { SecondFactorChallenge, SecondFactorGates } from './second-factor-gates';
import { SessionsService } from './sessions.service';
import { newOpaqueToken, tokenDigest } from './tokens';

export interface ClientInfo {
  ip?: string;
  userAgent?: string;
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
    mfaEnabled: u.mfaEnabled === true,
    passwordChangedAt: u.passwordChangedAt.toISOString(),
    createdAt: u.createdAt.toISOString(),
  };
}

const VERIFY_TTL_MS = 24 * 3_600_000;

/** The key of the decoy lockout row that stands in for an address without an account. */
function addressHash(email: string): Buffer {
  return createHash('sha256').update(email).digest();
}

@Injectable()
export class AuthService {
  constructor(
    private readonly repo: AuthRepository,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly config: AppConfig,
    private readonly secondFactor: SecondFactorGates,
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

  /**
   * Login: per-IP throttle, then one atomic attempt reservation per account before the Argon2 verify (so parallel
   * guesses past the limit are refused unverified), dummy verification for unknown users, and one 401 body for
   * every failure (unknown email, wrong password, locked, disabled).
   */
  async login(
    input: { email: string; password: string },
    client: ClientInfo,
  ): Promise<LoginView | SecondFactorChallenge> {
    const now = this.clock.now();
    const ip = client.ip ?? 'unknown';
    const blockedUntil = await this.repo.ipBlockedUntil(ip, now);
    if (blockedUntil) {
      const retryAfter = String(Math.max(1, Math.ceil((blockedUntil.getTime() - now.getTime()) / 1000)));
      throw new AuthException(AuthErrorCode.TOO_MANY_LOGIN_ATTEMPTS, 'Too many failed logins from this address.', {
        headers: { 'retry-after': retryAfter },
      });
    }
    const user = await this.repo.findByEmail(input.email);
    const rules = this.lockoutRules();
    if (!user || user.disabledAt) {
      // The same statements, the same row write and one verification of the same cost as a real account's, against
      // the address's decoy row, so timing tells nothing (its answer is ignored: the login fails either way).
      await this.attemptWithLockout(
        { addressHash: addressHash(input.email) },
        () => this.hasher.verifyDummy(input.password),
        input.password,
        rules,
      );
      return this.fail(ip, now, user ? 'disabled' : 'unknown_user', user?.id);
    }
    const verdict = await this.verifyWithLockout(user, input.password, rules);
    if (verdict !== 'ok') return this.fail(ip, now, verdict === 'locked' ? 'locked' : 'wrong_password', user.id);
    const rehash = this.hasher.needsRehash(user.passwordHash) ? await this.hasher.hash(input.password) : undefined;
    // Second factor (libs/mfa, issue 19): with one enrolled the password step ends here with a challenge, no session.
    // Its reserved attempt stays counted until the factor is proven, so factor guesses share the account's lockout.
    const challenge = await this.secondFactor.challenge(user, client);
    if (challenge) return challenge;
    return this.completeLogin(user, client, { rehash, aal: 'aal1' });
  }

  /**
   * Issues the session of a login whose every step is proven: the password (and, for `aal2`, a second factor, from
   * libs/mfa through SecondFactorLogin). Ends the failure run, rehashes when due, audits, in one transaction.
   */
  async completeLogin(
    user: User,
    client: ClientInfo,
    opts: { rehash?: string; aal: Aal; method?: string },
  ): Promise<LoginView> {
    const env = this.config.env;
    const now = this.clock.now();
    const ip = client.ip ?? 'unknown';
    const rehash = opts.rehash;
    // One transaction (one commit) for everything a successful login writes.
    const issued = await this.repo.transaction(async (em) => {
      // A password change or reset that committed while this login verified the old password wins.
      if ((await this.repo.lockPasswordHash(em, user.id)) !== user.passwordHash) return undefined;
      await this.repo.clearAttempts(user.id, em);
      if (rehash) await this.repo.updatePasswordHash(em, user.id, rehash);
      const session = await this.sessions.issue(user.id, client, em, { aal: opts.aal });
      const details = {
        ...(opts.aal === 'aal2' ? { aal: opts.aal, method: opts.method } : {}),
        ...(session.ended
          ? { otherSessionsEnded: session.ended, maxSessions: this.config.env.SESSION_MAX_PER_USER }
          : {}),
      };
      await this.audit.record(
        {
          action: 'auth.login',
          outcome: 'success',
          actorId: user.id,
          targetType: 'session',
          targetId: session.session.id,
          details,
        },
        em,
      );
      return session;
    });
    if (!issued) return this.fail(ip, now, 'password_changed_during_login', user.id);
    const ageDays = Math.floor((now.getTime() - user.passwordChangedAt.getTime()) / 86_400_000);
    return {
      token: issued.token,
      expiresAt: issued.session.expiresAt.toISOString(),
      user: userView(user),
      passwordAgeDays: ageDays,
      passwordNeedsRotation: env.PASSWORD_MAX_AGE_DAYS > 0 && ageDays >= env.PASSWORD_MAX_AGE_DAYS,
    };
  }

  /**
   * Checks a user's password under the lockout: one reserved attempt, the verification, and on failure the lock
   * (with its audit row, in one transaction) once the limit is reached. Used by login and by password change.
   */
  async verifyWithLockout(
    user: User,
    password: string,
    rules: LockoutRules = this.lockoutRules(),
  ): Promise<'ok' | 'wrong' | 'locked'> {
    return this.attemptWithLockout(
      { userId: user.id },
      () => this.hasher.verify(user.passwordHash, password),
      password,
      rules,
    );
  }

  private async attemptWithLockout(
    subject: LockoutSubject,
    verify: () => Promise<boolean>,
    password: string,
    rules: LockoutRules,
  ): Promise<'ok' | 'wrong' | 'locked'> {
    const attempt = await this.reserveAttempt(subject, rules);
    if (attempt === 'locked') {
      await this.hasher.verifyDummy(password);
      return 'locked';
    }
    if (await verify()) return 'ok';
    await this.repo.transaction(async (em) => {
      if ((await this.repo.lockIfLimitReached(subject, this.clock.now(), rules, em)) && 'userId' in subject) {
        await this.audit.record(
          {
            action: 'auth.lockout',
            outcome: 'success',
            actorType: 'system',
            targetType: 'user',
            targetId: subject.userId,
            details: { attempts: rules.maxAttempts, minutes: rules.lockMinutes },
          },
          em,
        );
      }
    });
    return 'wrong';
  }

  /**
   * A second factor's check under the account's lockout (one reserved attempt; a wrong one counts like a wrong
   * password). libs/mfa calls it through one adapter (FactorLockout).
   */
  verifyFactorWithLockout(userId: string, verify: () => Promise<boolean>): Promise<'ok' | 'wrong' | 'locked'> {
    return this.attemptWithLockout({ userId }, verify, '', this.lockoutRules());
  }

  lockoutRules(): LockoutRules {
    const env = this.config.env;
    return {
      maxAttempts: env.LOCKOUT_MAX_ATTEMPTS,
      windowMinutes: env.LOCKOUT_WINDOW_MINUTES,
      lockMinutes: env.LOCKOUT_DURATION_MINUTES,
    };
  }

  /**
   * Reserves an attempt; while the limit is taken by attempts still being verified, waits for them (up to ~2 s)
   * instead of refusing, so parallel correct logins succeed and parallel wrong ones never exceed the limit.
   */
  private async reserveAttempt(subject: LockoutSubject, rules: LockoutRules): Promise<'locked' | { attempt: number }> {
    for (let i = 0; i < 40; i++) {
      const r = await this.repo.reserveAttempt(subject, this.clock.now(), rules);
      if (r !== 'busy') return r;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return 'locked';
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
    if (!principal.sessionId) throw new CoreException(CoreErrorCode.SESSION_REQUIRED, 'Only a session can log out.');
    await this.repo.transaction(async (em) => {
      await this.sessions.revoke(principal.userId, principal.sessionId!, em);
      await this.audit.record(
        {
          action: 'auth.logout',
          outcome: 'success',
          actorId: principal.userId,
          targetType: 'session',
          targetId: principal.sessionId,
        },
        em,
      );
    });
  }

  /**
   * Re-checks the signed-in user's password before a destructive action, under the login lockout (a stolen session
   * cannot guess it freely). Throws CURRENT_PASSWORD_WRONG.
   */
  async confirmPassword(userId: string, password: string, action: string): Promise<UserView> {
    const user = await this.repo.findById(userId);
    if (!user) throw new AuthException(AuthErrorCode.USER_NOT_FOUND, 'No such user.');
    const verdict = await this.verifyWithLockout(user, password);
    if (verdict !== 'ok') {
      await this.audit.record({
        action,
        outcome: 'failure',
        actorId: user.id,
        details: { reason: verdict === 'locked' ? 'locked' : 'password_wrong' },
      });
      throw new CoreException(CoreErrorCode.CURRENT_PASSWORD_WRONG, 'The password is wrong.');
    }
    // A right password ends the failure run, as a successful login does: otherwise every confirmation's reserved
    // attempt would count toward the lockout, and a few password changes would lock the owner out.
    await this.repo.clearAttempts(user.id);
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
