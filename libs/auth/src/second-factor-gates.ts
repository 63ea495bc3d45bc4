import { Injectable } from '@nestjs/common';
import { CoreErrorCode, CoreException } from '@app/core';
import type { User } from './entities/user.entity';
import type { AttemptSource } from './lockout/login-lockout.service';

/** The client of a password step, and the lockout source its attempt counted on (the factor's guesses count there). */
export interface PasswordStep {
  ip?: string;
  userAgent?: string;
  source: AttemptSource;
}

/** What `POST /v1/auth/login` answers instead of a session when the account has a second factor. */
export interface SecondFactorChallenge {
  mfaRequired: true;
  /** Short-lived, single-use; bound to this password step: POST /v1/auth/login/mfa {mfaToken, …}. */
  mfaToken: string;
  /** The second factors the account can prove: `totp`, `recoveryCode`, `webauthn`. */
  methods: string[];
  expiresAt: string;
}

/**
 * The second step of a login, provided by the context that holds the factors (libs/mfa registers one): after the
 * password is verified and before a session is issued, it answers a challenge for an account with a factor.
 */
export interface SecondFactorGate {
  challenge(user: User, step: PasswordStep): Promise<SecondFactorChallenge>;
  /**
   * Step-up with a factor (POST /v1/auth/reauthenticate {totp | recoveryCode}): checks the proof for the signed-in
   * user under the lockout and makes the session aal2 and recently authenticated (audited); answers when. Throws
   * when the proof is wrong or the session ended.
   */
  stepUp(userId: string, sessionId: string, proof: SecondFactorProof): Promise<Date>;
}

/** A second factor presented to reauthenticate. */
export interface SecondFactorProof {
  totp?: string;
  recoveryCode?: string;
}

/**
 * The registry the login asks (so auth never imports the factors' context, as with CredentialRevocation). An account
 * marked as having a factor while no gate is composed cannot sign in (fail closed).
 */
@Injectable()
export class SecondFactorGates {
  private gate?: SecondFactorGate;

  register(gate: SecondFactorGate): void {
    this.gate = gate;
  }

  /** A challenge when the user has a second factor; undefined when the login may proceed to a session. */
  async challenge(user: User, step: PasswordStep): Promise<SecondFactorChallenge | undefined> {
    if (!user.mfaEnabled) return undefined;
    if (!this.gate)
      throw new CoreException(CoreErrorCode.SERVICE_UNAVAILABLE, 'Second factors are not available on this instance.');
    return this.gate.challenge(user, step);
  }

  /** A step-up with a factor (see SecondFactorGate.stepUp); refused when none is composed. */
  stepUp(userId: string, sessionId: string, proof: SecondFactorProof): Promise<Date> {
    if (!this.gate)
      throw new CoreException(CoreErrorCode.SERVICE_UNAVAILABLE, 'Second factors are not available on this instance.');
    return this.gate.stepUp(userId, sessionId, proof);
  }
}
