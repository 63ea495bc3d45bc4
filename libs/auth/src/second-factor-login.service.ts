import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AuthRepository } from './auth.repository';
import { AuthService, ClientInfo } from './auth.service';
import { LoginView } from './dto/user.response';
import { User } from './entities/user.entity';
import { SessionsService } from './sessions.service';

/**
 * What the second-factor context (libs/mfa) needs of authentication, in one place: the user of a pending login, the
 * account's lockout for factor guesses, issuing the aal2 session, the step-up of a session with a factor, the
 * user's "has a factor" flag, and ending other sessions when factors change.
 */
@Injectable()
export class SecondFactorLogin {
  constructor(
    private readonly repo: AuthRepository,
    private readonly auth: AuthService,
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

  /** A factor's check under the account's lockout (the adapter the lead can re-point: AuthService's lockout). */
  verifyUnderLockout(userId: string, verify: () => Promise<boolean>): Promise<'ok' | 'wrong' | 'locked'> {
    return this.auth.verifyFactorWithLockout(userId, verify);
  }

  /** Issues the session of a login whose password and second factor are proven (aal2). */
  complete(user: User, client: ClientInfo, method: string): Promise<LoginView> {
    return this.auth.completeLogin(user, client, { aal: 'aal2', method });
  }

  /** A proven factor ends the failure run, as a successful login does. */
  clearFailures(userId: string, em?: EntityManager): Promise<void> {
    return this.repo.clearAttempts(userId, em);
  }

  /** The session proved a second factor now (step-up): aal2, recently authenticated. */
  stepUp(userId: string, sessionId: string, now: Date, em: EntityManager): Promise<boolean> {
    return this.sessions.renewWithSecondFactor(userId, sessionId, now, em);
  }

  /** Keeps the user's "has a second factor" flag, in the transaction that adds or removes factors. */
  setEnrolled(em: EntityManager, userId: string, enrolled: boolean): Promise<void> {
    return this.repo.setMfaEnabled(em, userId, enrolled);
  }

  /** Ends the user's sessions but `keep` (ASVS 7.4.3: a factor added or removed). */
  endOtherSessions(userId: string, keep: string | undefined, em: EntityManager): Promise<number> {
    return this.sessions.revokeAll(userId, keep, em);
  }
}
