import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { FastifyReply } from 'fastify';
import { AuthRepository } from './auth.repository';
import { LoginView } from './dto/user.response';
import { User } from './entities/user.entity';
import { AttemptSource, LockoutVerdict, LoginLockout } from './lockout/login-lockout.service';
import { ClientInfo, LoginFlow } from './login-flow.service';
import { SessionsService } from './sessions.service';

/**
 * What the second-factor context (libs/mfa) needs of authentication, in one place: the user of a pending login, the
 * per-(account, source) lockout for factor guesses, issuing the aal2 session (with its device token), the step-up of
 * a session with a factor, the user's "has a factor" flag, and ending other sessions when factors change.
 */
@Injectable()
export class SecondFactorLogin {
  constructor(
    private readonly repo: AuthRepository,
    private readonly flow: LoginFlow,
    private readonly lockout: LoginLockout,
    private readonly sessions: SessionsService,
  ) {}

  /** Binds a pending second step to its password step: a password changed meanwhile no longer matches. */
  passwordFingerprint(user: User): string {
    return createHash('sha256').update(user.passwordHash).digest('hex');
  }

  /** The user, disabled or not (an admin resetting factors), or undefined. */
  async user(userId: string, em?: EntityManager): Promise<User | undefined> {
    return (await this.repo.findById(userId, em)) ?? undefined;
  }

  /** The user, when it exists and may sign in (not disabled). */
  async activeUser(userId: string, em?: EntityManager): Promise<User | undefined> {
    const user = await this.repo.findById(userId, em);
    return user && !user.disabledAt ? user : undefined;
  }

  /** The source of a sign-in step from this client (its device token of the account, else its network). */
  sourceOfClient(userId: string, client: ClientInfo): Promise<AttemptSource> {
    return this.lockout.sourceOf({ userId }, { ip: client.ip, deviceToken: client.deviceToken });
  }

  /** The source of a signed-in session's step-up (the device it signed in with, else the client network). */
  sourceOfSession(sessionId: string, ip: string | undefined): Promise<AttemptSource> {
    return this.lockout.sourceOfSession(sessionId, ip);
  }

  /**
   * A factor's check under the per-(account, source) lockout, on the password's own rows (one budget: a wrong code
   * counts like a wrong password, LOCKOUT_MAX_ATTEMPTS of them lock the source, a locked source is refused even a
   * right code). `source` is the password step's for a login. A right factor ends the source's failure run.
   */
  verifyUnderLockout(userId: string, source: AttemptSource, verify: () => Promise<boolean>): Promise<LockoutVerdict> {
    return this.lockout.attemptWithLockout({ userId }, source, verify);
  }

  /**
   * Issues the session of a login whose password and second factor are proven (aal2): the password step's held
   * attempt settled (`passwordSource`; none for a passwordless passkey), a device token issued or renewed.
   */
  complete(user: User, client: ClientInfo, method: string, passwordSource?: AttemptSource): Promise<LoginView> {
    return this.flow.completeLogin(user, client, { aal: 'aal2', method, source: passwordSource });
  }

  /** A login's answer with the `__Host-device` cookie set (the factor step's session, a passkey sign-in). */
  withDeviceCookie(view: LoginView, reply: FastifyReply): LoginView {
    return this.flow.withDeviceCookie(view, reply);
  }

  /** The session proved a second factor now (step-up): aal2, recently authenticated. */
  stepUp(userId: string, sessionId: string, now: Date, em: EntityManager): Promise<boolean> {
    return this.sessions.renewWithSecondFactor(userId, sessionId, now, em);
  }

  /** Keeps the user's "has a second factor" flag, in the transaction that adds or removes factors. */
  async setEnrolled(em: EntityManager, userId: string, enrolled: boolean): Promise<void> {
    await this.repo.setMfaEnabled(em, userId, enrolled);
    // Factors changed: no device skips the factor step on the strength of an earlier one.
    await this.lockout.forgetSecondFactors(em, userId);
  }

  /**
   * After the transaction that changed the user's factors (or stepped a session up) committed: this instance drops the
   * user's cached sessions and view at once (other instances when the change they were told of commits).
   */
  forgetUser(userId: string): void {
    this.sessions.forgetUser(userId);
  }

  /** After a step-up committed: this instance re-reads the session (its aal). */
  forgetSession(sessionId: string): void {
    this.sessions.forgetSession(sessionId);
  }

  /** Ends the user's sessions but `keep` (ASVS 7.4.3: a factor added or removed); forgetUser after the commit. */
  endOtherSessions(userId: string, keep: string | undefined, em: EntityManager): Promise<number> {
    return this.sessions.revokeAll(userId, keep, em);
  }
}
