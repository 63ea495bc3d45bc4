import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '@app/audit';
import { RandomSource } from '@app/crypto';
import {
  AppConfig,
  ChangeFeed,
  Clock,
  CoreErrorCode,
  CoreException,
  CredentialRevocation,
  Principal,
  StepUpWindow,
  USER_CHANGES_TOPIC,
} from '@app/core';
import { NotificationsService } from '@app/notifications';
import { AuthErrorCode, AuthException } from './auth-error-codes';
import { authMails } from './auth.mails';
import { AuthRepository } from './auth.repository';
import { AuthService } from './auth.service';
import { EmailChangeService } from './email-change.service';
import { LoginLockout } from './lockout/login-lockout.service';
import {
  EmailVerificationResendView,
  EmailVerifiedView,
  PasswordChangedView,
  PasswordResetRequestView,
  PasswordResetView,
  PasswordSuggestionView,
  ReauthenticatedView,
} from './dto/account.response';
import { SessionsEndedView } from './dto/session.response';
import { generatePassword } from './password/password-generator';
import { PasswordHasher } from './password/password-hasher';
import { PasswordPolicy } from './password/password-policy';
import { ReauthenticateDto } from './dto/auth.dto';
import { SecondFactorGates } from './second-factor-gates';
import { SessionsService } from './sessions.service';
import { newOpaqueToken, tokenDigest } from './tokens';

const RESET_TTL_MS = 3_600_000;

export const FORGOT_ANSWER = {
  status: 'accepted',
  message: 'If an account uses this address, a reset link is on its way to it.',
} as const;

/** Password change, reset and suggestion; email verification. */
@Injectable()
export class AccountService {
  private readonly logger = new Logger('Account');
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly repo: AuthRepository,
    private readonly auth: AuthService,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly config: AppConfig,
    private readonly stepUp: StepUpWindow,
    private readonly credentials: CredentialRevocation,
    private readonly changes: ChangeFeed,
    private readonly lockout: LoginLockout,
    private readonly secondFactor: SecondFactorGates,
    private readonly emailChange: EmailChangeService,
  ) {}

  /**
   * Step-up: the signed-in person proves the password again (under the login lockout, as a password change does) and
   * the current session's `authenticatedAt` becomes now, opening the window for sensitive actions. No new session or
   * token. Wrong or locked: 400 CURRENT_PASSWORD_WRONG (audited by confirmPassword).
   */
  async reauthenticate(principal: Principal, proof: ReauthenticateDto): Promise<ReauthenticatedView> {
    if (principal.kind !== 'session' || !principal.sessionId)
      throw new CoreException(CoreErrorCode.SESSION_REQUIRED, 'Only a signed-in session can reauthenticate.');
    const sessionId = principal.sessionId;
    const { password, totp, recoveryCode } = proof;
    if ([password, totp, recoveryCode].filter((v) => v !== undefined).length !== 1)
      throw new CoreException(CoreErrorCode.VALIDATION_FAILED, 'Send exactly one of password, totp or recoveryCode.');
    if (typeof password !== 'string') {
      // A second factor (libs/mfa): the session becomes aal2 as well as recently authenticated.
      const at = await this.secondFactor.stepUp(principal.userId, sessionId, { totp, recoveryCode });
      return { authenticatedAt: at.toISOString(), sensitiveActionsUntil: this.stepUp.endsAt(at).toISOString() };
    }
    await this.auth.confirmPassword(principal.userId, password, 'auth.reauthenticate', sessionId);
    const now = this.clock.now();
    const renewed = await this.repo.transaction(async (em) => {
      if (!(await this.sessions.renewAuthentication(principal.userId, sessionId, now, em))) return false;
      await this.audit.record(
        {
          action: 'auth.reauthenticate',
          outcome: 'success',
          actorId: principal.userId,
          targetType: 'session',
          targetId: sessionId,
        },
        em,
      );
      return true;
    });
    // Revoked between the guard and here (a logout elsewhere): nothing to renew.
    if (!renewed) throw new AuthException(AuthErrorCode.SESSION_INVALID, 'The session token is not valid.');
    this.sessions.forgetSession(sessionId); // the cached principal carries the old authenticatedAt
    return { authenticatedAt: now.toISOString(), sensitiveActionsUntil: this.stepUp.endsAt(now).toISOString() };
  }

  /**
   * Changes the password and ends every other session of the user. API keys keep working (the person knew the
   * password): the answer lists them so the client can offer to revoke them (POST /v1/api-keys/revoke-all).
   */
  async changePassword(
    principal: Principal,
    currentPassword: string,
    newPassword: string,
  ): Promise<PasswordChangedView> {
    if (principal.kind !== 'session')
      throw new CoreException(CoreErrorCode.SESSION_REQUIRED, 'Change the password from a signed-in session.');
    // The current password is checked under the login lockout, so a stolen session cannot guess it freely.
    const user = await this.auth.confirmPassword(
      principal.userId,
      currentPassword,
      'auth.password_change',
      principal.sessionId,
    );
    await this.auth.enforcePolicy(newPassword, user);
    const hash = await this.hasher.hash(newPassword);
    const view = await this.repo.transaction(async (em) => {
      await this.repo.updatePasswordHash(em, user.id, hash, this.clock.now());
      await this.repo.expireResetTokens(em, user.id, this.clock.now());
      const ended = await this.sessions.revokeAll(user.id, principal.sessionId, em);
      await this.audit.record(
        {
          action: 'auth.password_change',
          outcome: 'success',
          actorId: user.id,
          targetType: 'user',
          targetId: user.id,
          details: { sessionsEnded: ended },
        },
        em,
      );
      const activeApiKeys = await this.credentials.listLive(user.id, em);
      return {
        otherSessionsEnded: ended,
        activeApiKeys: activeApiKeys.map(({ id, name, prefix, scopes }) => ({ id, name, prefix, scopes })),
      };
    });
    this.sessions.forgetUser(user.id);
    return view;
  }

  /**
   * Same answer, in the same time, whether or not the account exists: the lookup and the mail happen after the
   * answer (a lost request is harmless; the person asks again).
   */
  forgotPassword(email: string): PasswordResetRequestView {
    this.pending = this.pending
      .then(() => this.sendReset(email))
      .catch((err: unknown) => this.logger.error({ err }, 'password reset request failed'));
    return FORGOT_ANSWER;
  }

  /** Resolves when the reset mails asked for so far are queued (tests, shutdown). */
  settled(): Promise<void> {
    return this.pending;
  }

  private async sendReset(email: string): Promise<void> {
    const user = await this.repo.findByEmail(email);
    if (!user || user.disabledAt) return;
    const token = newOpaqueToken(this.random);
    const now = this.clock.now();
    await this.repo.transaction(async (em) => {
      const queued = await this.notifications.enqueueEmailLimited(
        em,
        {
          kind: 'auth.reset_password',
          to: user.email,
          ...authMails.resetPassword(this.config.publicUrl, token),
        },
        this.config.env.AUTH_MAILS_PER_HOUR,
      );
      // Past the hourly limit nothing is sent and no token made; the answer stays the same (it never tells anything).
      if (queued)
        await this.repo.insertEmailToken(em, {
          userId: user.id,
          purpose: 'reset_password',
          tokenHash: tokenDigest(token),
          createdAt: now,
          expiresAt: new Date(now.getTime() + RESET_TTL_MS),
        });
      await this.audit.record(
        {
          action: 'auth.password_reset_request',
          outcome: queued ? 'success' : 'denied',
          targetType: 'user',
          targetId: user.id,
          details: queued ? {} : { reason: 'hourly_mail_limit' },
        },
        em,
      );
    });
  }

  /**
   * Consumes a reset token (once), sets the password, ends every session of the user and (RESET_REVOKES_API_KEYS,
   * on by default) revokes every API key, all in one transaction: whoever held the account before the recovery,
   * with a session or with a key minted then, holds nothing afterwards.
   */
  async resetPassword(token: string, newPassword: string): Promise<PasswordResetView> {
    const hashDigest = tokenDigest(token);
    const { view, userId, afterCommit } = await this.repo.transaction(async (em) => {
      const userId = await this.repo.consumeEmailToken(em, hashDigest, 'reset_password', this.clock.now());
      const user = userId ? await this.repo.findById(userId, em) : null;
      if (!user || user.disabledAt)
        throw new AuthException(AuthErrorCode.TOKEN_INVALID, 'The reset link is invalid, used or expired.');
      await this.auth.enforcePolicy(newPassword, user);
      await this.repo.updatePasswordHash(em, user.id, await this.hasher.hash(newPassword), this.clock.now());
      await this.repo.expireResetTokens(em, user.id, this.clock.now());
      // Recovery evicts: device tokens and remembered networks go too (and with them any lockout of the account).
      const devicesRevoked = await this.lockout.revokeDevices(em, user.id);
      const ended = await this.sessions.revokeAll(user.id, undefined, em);
      const keys = this.config.env.RESET_REVOKES_API_KEYS
        ? await this.credentials.revokeAll(user.id, 'password_reset', em)
        : { revoked: [], afterCommit: () => undefined };
      await this.audit.record(
        {
          action: 'auth.password_reset',
          outcome: 'success',
          actorId: user.id,
          targetType: 'user',
          targetId: user.id,
          details: { sessionsEnded: ended, apiKeysRevoked: keys.revoked.length, devicesRevoked },
        },
        em,
      );
      const view = { sessionsEnded: ended, apiKeysRevoked: keys.revoked.length };
      return { view, userId: user.id, afterCommit: keys.afterCommit };
    });
    this.sessions.forgetUser(userId);
    afterCommit();
    return view;
  }

  /**
   * Marks the address verified (or, for an email change's token, moves the account to the confirmed new address) and
   * announces the change on the user topic: cached API keys of the user carry the old
   * state in their principal (EMAIL_NOT_VERIFIED) and are dropped on every instance, as for a scope change.
   */
  async verifyEmail(token: string): Promise<EmailVerifiedView> {
    let verified: string | undefined;
    const view = await this.repo.transaction(async (em) => {
      const now = this.clock.now();
      const userId = await this.repo.consumeEmailToken(em, tokenDigest(token), 'verify_email', now);
      if (!userId) {
        // The same link and page confirm a new address (an email change): it replaces the old one now.
        verified = await this.emailChange.complete(em, token);
        if (!verified)
          throw new AuthException(AuthErrorCode.TOKEN_INVALID, 'The verification link is invalid, used or expired.');
        return { emailVerified: true as const };
      }
      await this.repo.setEmailVerified(em, userId, now);
      await this.changes.publish(em, USER_CHANGES_TOPIC, userId);
      await this.audit.record(
        { action: 'auth.email_verify', outcome: 'success', actorId: userId, targetType: 'user', targetId: userId },
        em,
      );
      verified = userId;
      return { emailVerified: true as const };
    });
    if (verified) this.changes.emitLocal(USER_CHANGES_TOPIC, verified);
    return view;
  }

  async resendVerification(principal: Principal): Promise<EmailVerificationResendView> {
    const user = await this.repo.findById(principal.userId);
    if (!user) throw new AuthException(AuthErrorCode.USER_NOT_FOUND, 'No such user.');
    if (user.emailVerifiedAt) return { status: 'already_verified' };
    if (!(await this.repo.transaction((em) => this.auth.sendVerification(em, user)))) {
      throw new AuthException(
        AuthErrorCode.VERIFICATION_MAIL_LIMIT,
        `${this.config.env.AUTH_MAILS_PER_HOUR} verification mails went to this address in the last hour; try again later.`,
        { headers: { 'retry-after': '3600' } },
      );
    }
    return { status: 'sent' };
  }

  /** Sessions are managed by the person, never by an API key acting for them. */
  requireSession(principal: Principal): void {
    if (principal.kind !== 'session')
      throw new CoreException(
        CoreErrorCode.SESSION_REQUIRED,
        'Manage sessions from a signed-in session, not with an API key.',
      );
  }

  async revokeSession(principal: Principal, sessionId: string): Promise<void> {
    this.requireSession(principal);
    await this.repo.transaction(async (em) => {
      if (!(await this.sessions.revoke(principal.userId, sessionId, em))) {
        throw new AuthException(AuthErrorCode.SESSION_NOT_FOUND, 'No such session.');
      }
      await this.audit.record(
        {
          action: 'auth.session_revoke',
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

  async revokeOtherSessions(principal: Principal): Promise<SessionsEndedView> {
    this.requireSession(principal);
    const view = await this.repo.transaction(async (em) => {
      const ended = await this.sessions.revokeAll(principal.userId, principal.sessionId, em);
      // Signing out everywhere else also revokes the other devices' tokens and forgets the remembered networks.
      const devicesRevoked = await this.lockout.revokeDevices(em, principal.userId, principal.sessionId);
      await this.audit.record(
        {
          action: 'auth.session_revoke_all',
          outcome: 'success',
          actorId: principal.userId,
          details: { sessionsEnded: ended, devicesRevoked },
        },
        em,
      );
      return { sessionsEnded: ended };
    });
    this.sessions.forgetUser(principal.userId);
    return view;
  }

  /** A CSPRNG password that passes the policy. */
  suggest(length: number): PasswordSuggestionView {
    for (;;) {
      const password = generatePassword(length);
      if (this.policy.check(password, {}).ok) return { password, length };
    }
  }
}
