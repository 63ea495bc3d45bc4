import { Injectable, OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AuditService } from '@app/audit';
import {
  AuthErrorCode,
  AuthException,
  ClientInfo,
  LoginView,
  PasswordStep,
  SecondFactorChallenge,
  SecondFactorGate,
  SecondFactorGates,
  SecondFactorLogin,
  User,
} from '@app/auth';
import { AppConfig, Clock, currentRequest } from '@app/core';
import type { FastifyReply } from 'fastify';
import { RandomSource } from '@app/crypto';
import { FactorVerifier } from './factor-verifier';
import { MfaErrorCode, MfaException } from './mfa-error-codes';
import { WebauthnService } from './webauthn.service';
import { MfaRepository } from './mfa.repository';
import { FactorProof } from './mfa.types';

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
/** `mfa_` and 32 random bytes (base64url): recognisable, never confused with a session token. */
const MFA_TOKEN = /^mfa_[A-Za-z0-9_-]{43}$/;

/**
 * The second step of a login and the step-up with a factor: the gate the login asks after the password (registered
 * with auth's SecondFactorGates, so auth never imports this context).
 */
@Injectable()
export class MfaLoginService implements SecondFactorGate, OnModuleInit {
  constructor(
    private readonly gates: SecondFactorGates,
    private readonly login: SecondFactorLogin,
    private readonly verifier: FactorVerifier,
    private readonly repo: MfaRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly config: AppConfig,
    private readonly webauthn: WebauthnService,
  ) {}

  onModuleInit(): void {
    this.gates.register(this);
  }

  /**
   * After the password: a short-lived, single-use token bound to this password step (its password hash and the
   * lockout source its attempt counted on), and the methods available.
   */
  async challenge(user: User, step: PasswordStep): Promise<SecondFactorChallenge> {
    const now = this.clock.now();
    const token = `mfa_${this.random.bytes(32).toString('base64url')}`;
    const expiresAt = new Date(now.getTime() + this.config.env.MFA_TOKEN_TTL_SECONDS * 1000);
    await this.repo.insertLoginToken({
      tokenHash: digest(token),
      userId: user.id,
      passwordFingerprint: this.login.passwordFingerprint(user),
      attemptSource: step.source,
      createdAt: now,
      expiresAt,
      usedAt: null,
    });
    await this.audit.record({
      action: 'auth.login',
      outcome: 'success',
      actorId: user.id,
      targetType: 'user',
      targetId: user.id,
      details: { step: 'password', next: 'second_factor' },
    });
    return {
      mfaRequired: true,
      mfaToken: token,
      methods: await this.methods(user.id),
      expiresAt: expiresAt.toISOString(),
    };
  }

  /** The factors the user can prove now. */
  async methods(userId: string): Promise<string[]> {
    const factors = (await this.repo.factors(userId)).filter((f) => f.confirmedAt);
    const methods: string[] = [];
    if (factors.some((f) => f.kind === 'totp')) methods.push('totp');
    if ((await this.repo.countUnusedRecoveryCodes(userId)) > 0) methods.push('recoveryCode');
    if (factors.some((f) => f.kind === 'webauthn')) methods.push('webauthn');
    return methods;
  }

  /**
   * The second step: the token must be live and its password step still hold (the password unchanged, the account
   * enabled); the factor is checked under the lockout of the password step's source (the same rows: wrong codes and
   * wrong passwords share one budget); then the token is spent and the aal2 session issued with its device token. A
   * wrong factor leaves the token usable until it expires (the lockout bounds the guesses).
   */
  async complete(mfaToken: string, proof: FactorProof, client: ClientInfo): Promise<LoginView> {
    const now = this.clock.now();
    const invalid = () =>
      new AuthException(AuthErrorCode.MFA_TOKEN_INVALID, 'The sign-in step has expired or was used; sign in again.');
    if (!MFA_TOKEN.test(mfaToken)) throw invalid();
    const hash = digest(mfaToken);
    const pending = await this.pending(hash, now);
    if (!pending) throw invalid();
    const { user, source } = pending;
    const method = await this.verifier.verify(user, proof, source);
    if (!(await this.repo.useLoginToken(hash, this.clock.now()))) throw invalid();
    return this.login.complete(user, client, method, source);
  }

  /** The user of a live second-step token whose password step still holds, and that step's lockout source. */
  private async pending(hash: string, now: Date) {
    const pending = await this.repo.liveLoginToken(hash, now);
    const user = pending && (await this.login.activeUser(pending.userId));
    if (!pending || !user || this.login.passwordFingerprint(user) !== pending.passwordFingerprint) return undefined;
    return { user, source: pending.attemptSource };
  }

  /** A login's answer with the `__Host-device` cookie set. */
  withDeviceCookie(view: LoginView, reply: FastifyReply): LoginView {
    return this.login.withDeviceCookie(view, reply);
  }

  /** WebAuthn options for the second step: a challenge bound to the token's user, its passkeys allowed. */
  async webauthnOptions(mfaToken: string): Promise<Record<string, unknown>> {
    const user = MFA_TOKEN.test(mfaToken) ? (await this.pending(digest(mfaToken), this.clock.now()))?.user : undefined;
    if (!user) throw new AuthException(AuthErrorCode.MFA_TOKEN_INVALID, 'The sign-in step has expired; sign in again.');
    return this.webauthn.authenticationOptions(user.id);
  }

  /** Passwordless (PASSKEY_LOGIN): options with a challenge for anyone, no credentials listed (discoverable). */
  passkeyOptions(): Promise<Record<string, unknown>> {
    this.assertPasskeyLogin();
    return this.webauthn.authenticationOptions(null);
  }

  /**
   * Passwordless sign-in: a discoverable passkey with user verification is two factors in one (possession and the
   * PIN or biometric), so the session is aal2. The assertion counts toward its user's lockout like a password, on
   * this client's source (device token of the account, else network).
   */
  async passkeyLogin(response: Record<string, unknown>, client: ClientInfo): Promise<LoginView> {
    this.assertPasskeyLogin();
    const refused = () => new AuthException(AuthErrorCode.SECOND_FACTOR_INVALID, 'The passkey was not accepted.');
    const credentialId = typeof response.id === 'string' ? response.id.slice(0, 1400) : '';
    const factor = credentialId ? await this.repo.passkeyByCredentialId(credentialId) : null;
    const user = factor && (await this.login.activeUser(factor.userId));
    if (!user) throw refused();
    const verdict = await this.login.verifyUnderLockout(
      user.id,
      await this.login.sourceOfClient(user.id, client),
      async () => (await this.webauthn.verifyAssertion(null, response)) === user.id,
    );
    if (verdict !== 'ok') {
      await this.audit.record({
        action: 'mfa.verify',
        outcome: 'failure',
        actorId: user.id,
        targetType: 'user',
        targetId: user.id,
        details: { method: 'passkey', reason: verdict === 'locked' ? 'locked' : 'wrong' },
      });
      throw refused();
    }
    return this.login.complete(user, client, 'passkey');
  }

  private assertPasskeyLogin(): void {
    if (!this.config.env.PASSKEY_LOGIN)
      throw new MfaException(MfaErrorCode.PASSKEY_LOGIN_DISABLED, 'Passwordless sign-in is not enabled here.');
  }

  /** Step-up with a factor: the session becomes aal2 and recently authenticated (audited); answers when. */
  async stepUp(userId: string, sessionId: string, proof: FactorProof): Promise<Date> {
    const user = await this.login.activeUser(userId);
    if (!user) throw new AuthException(AuthErrorCode.SESSION_INVALID, 'The session token is not valid.');
    // Counted under the session's source, like a password reauthentication (a right factor ends its failure run).
    const source = await this.login.sourceOfSession(sessionId, currentRequest()?.ip);
    const method = await this.verifier.verify(user, proof, source);
    const now = this.clock.now();
    const renewed = await this.repo.transaction(async (em) => {
      if (!(await this.login.stepUp(userId, sessionId, now, em))) return false;
      await this.audit.record(
        {
          action: 'auth.reauthenticate',
          outcome: 'success',
          actorId: userId,
          targetType: 'session',
          targetId: sessionId,
          details: { method, aal: 'aal2' },
        },
        em,
      );
      return true;
    });
    if (!renewed) throw new AuthException(AuthErrorCode.SESSION_INVALID, 'The session token is not valid.');
    this.login.forgetSession(sessionId);
    return now;
  }
}
