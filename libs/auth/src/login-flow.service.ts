import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit';
import { Aal, AppConfig, Clock } from '@app/core';
import type { FastifyReply } from 'fastify';
import { AuthErrorCode, AuthException } from './auth-error-codes';
import { AuthRepository } from './auth.repository';
import { LoginView } from './dto/user.response';
import { User } from './entities/user.entity';
import { deviceCookie } from './lockout/device-cookie';
import { addressHash, AttemptSource, LockoutSubject, LoginLockout } from './lockout/login-lockout.service';
import { PasswordHasher } from './password/password-hasher';
import { SecondFactorChallenge, SecondFactorGates } from './second-factor-gates';
import { SessionsService } from './sessions.service';
import { userView } from './user-view';

export interface ClientInfo {
  ip?: string;
  userAgent?: string;
  /** A device token the client presented (the `__Host-device` cookie), when the body carries none. */
  deviceToken?: string;
}

/**
 * The sign-in flow (issues 18 and 19): the password step under the per-(account, source) lockout, the second-factor
 * hook, and issuing the session with its device token once every step is proven.
 */
@Injectable()
export class LoginFlow {
  constructor(
    private readonly repo: AuthRepository,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly lockout: LoginLockout,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly secondFactor: SecondFactorGates,
  ) {}

  /**
   * Login: the attempt's source (a device token of the account, else the client network, trusted when it signed in
   * to the account before), the per-IP failure throttle (not for a device of the account), then one atomic attempt
   * reservation per (account, source) — and per account for untrusted sources — before the Argon2 verify (so parallel
   * guesses past the limit are refused unverified), dummy verification for unknown users, and one 401 body for every
   * failure (unknown email, wrong password, locked, disabled). A success answers a device token (kept by the client);
   * its attempt is settled in the transaction that issues the session. For an account with a second factor it answers
   * a challenge instead, and the password's attempt stays counted on its source until the factor is proven (the
   * factor's guesses count on the same source: see SecondFactorLogin).
   */
  async login(
    input: { email: string; password: string; deviceToken?: string },
    client: ClientInfo,
  ): Promise<LoginView | SecondFactorChallenge> {
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
      // Held: the attempt stays counted until the session is issued (settled in its transaction), or for an account
      // with a second factor until the factor is proven.
      { whenRefused: () => this.hasher.verifyDummy(input.password), hold: true },
    );
    if (!live) return this.fail(ip, now, user ? 'disabled' : 'unknown_user', user?.id);
    if (verdict !== 'ok') return this.fail(ip, now, verdict === 'locked' ? 'locked' : 'wrong_password', live.id);
    const rehash = this.hasher.needsRehash(live.passwordHash) ? await this.hasher.hash(input.password) : undefined;
    // Second factor (libs/mfa, issue 19): with one enrolled the password step ends here with a challenge, no session;
    // the challenge keeps the password step's source (its held attempt is settled when the factor is proven).
    // A device of the account that proved a factor within MFA_REMEMBER_DEVICE_DAYS skips the step (aal1 session).
    if (live.mfaEnabled && (await this.remembered(live, source)))
      return this.completeLogin(
        live,
        { ...client, deviceToken: presented },
        { rehash, aal: 'aal1', method: 'remembered_device', source, here: source },
      );
    const challenge = await this.secondFactor.challenge(live, { ...client, source });
    if (challenge) return challenge;
    return this.completeLogin(
      live,
      { ...client, deviceToken: presented },
      { rehash, aal: 'aal1', source, here: source },
    );
  }

  /**
   * Issues the session of a login whose every step is proven: the password (and, for `aal2`, a second factor, from
   * libs/mfa through SecondFactorLogin), in one transaction: the held password attempt settled (`source`, the
   * password step's), the rehash when due, the device token (the presented one renewed when it is this account's,
   * else a new one) and the network remembered, the session, the audit row. `here`: the source of this very client,
   * when the caller has just worked it out (the password step of the same request); else it is looked up.
   */
  async completeLogin(
    user: User,
    client: ClientInfo,
    opts: { rehash?: string; aal: Aal; method?: string; source?: AttemptSource; here?: AttemptSource },
  ): Promise<LoginView> {
    const env = this.config.env;
    const now = this.clock.now();
    const ip = client.ip ?? 'unknown';
    // The device and network of this request (for a factor step, the client that finished the sign-in).
    const here =
      opts.here ??
      (await this.lockout.sourceOf({ userId: user.id }, { ip: client.ip, deviceToken: client.deviceToken }));
    const issued = await this.repo.transaction(async (em) => {
      // A password change or reset that committed while this login verified the old password wins.
      if ((await this.repo.lockPasswordHash(em, user.id)) !== user.passwordHash) return undefined;
      if (opts.source) await this.lockout.settle(em, { userId: user.id }, opts.source);
      if (opts.rehash) await this.repo.updatePasswordHash(em, user.id, opts.rehash);
      const device = await this.lockout.rememberSignIn(em, user.id, here, client.deviceToken);
      if (opts.aal === 'aal2') await this.lockout.rememberSecondFactor(em, device.deviceId);
      const session = await this.sessions.issue(user.id, { ...client, deviceId: device.deviceId }, em, {
        aal: opts.aal,
      });
      const details = {
        ...(opts.method ? { aal: opts.aal, method: opts.method } : {}),
        ...(session.ended ? { otherSessionsEnded: session.ended, maxSessions: env.SESSION_MAX_PER_USER } : {}),
        source: here.source.kind,
        trusted: here.trusted,
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
      return { ...session, deviceToken: device.deviceToken };
    });
    if (!issued) return this.fail(ip, now, 'password_changed_during_login', user.id);
    if (issued.ended) this.sessions.forgetUser(user.id);
    const ageDays = Math.floor((now.getTime() - user.passwordChangedAt.getTime()) / 86_400_000);
    return {
      token: issued.token,
      expiresAt: issued.session.expiresAt.toISOString(),
      deviceToken: issued.deviceToken,
      user: userView(user),
      passwordAgeDays: ageDays,
      passwordNeedsRotation: env.PASSWORD_MAX_AGE_DAYS > 0 && ageDays >= env.PASSWORD_MAX_AGE_DAYS,
    };
  }

  /** Remember-device (MFA_REMEMBER_DEVICE_DAYS): never for a role that must have a factor (MFA_REQUIRED_ROLES). */
  private async remembered(user: User, source: AttemptSource): Promise<boolean> {
    if (this.config.env.MFA_REQUIRED_ROLES.split(',').includes(user.role)) return false;
    return this.lockout.remembersSecondFactor(source);
  }

  /** The `Set-Cookie` value that keeps a device token in a browser (`__Host-device`, DEVICE_TOKEN_DAYS). */
  deviceCookie(token: string): string {
    return deviceCookie(token, this.config.env.DEVICE_TOKEN_DAYS);
  }

  /** A login's answer, with the device cookie set when it issued a session (a challenge has no device token yet). */
  withDeviceCookie<T extends LoginView | SecondFactorChallenge>(view: T, reply: FastifyReply): T {
    if ('deviceToken' in view) void reply.header('set-cookie', this.deviceCookie(view.deviceToken));
    return view;
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
}
