import { Injectable } from '@nestjs/common';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { AppConfig, Clock, Principal } from '@app/core';
import { RandomSource } from '@app/crypto';
import { TotpConfirmedView } from './dto/mfa.response';
import { MfaErrorCode, MfaException } from './mfa-error-codes';
import { MfaRepository } from './mfa.repository';
import { MfaService } from './mfa.service';
import { uuidFrom } from './uuid';

const CHALLENGE_TTL_MS = 5 * 60_000;

/** The challenge a ceremony's clientDataJSON carries (verified against the stored one by the library afterwards). */
function challengeOf(response: { response?: { clientDataJSON?: unknown } }): string | undefined {
  try {
    const raw = response.response?.clientDataJSON;
    if (typeof raw !== 'string' || raw.length > 4096) return undefined;
    const data = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof data.challenge === 'string' && data.challenge.length <= 128 ? data.challenge : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Passkeys (WebAuthn, @simplewebauthn/server): registration, and assertions as a second factor or, with
 * PASSKEY_LOGIN, for passwordless sign-in. RP ID and origin come from PUBLIC_URL. Every challenge is random, lives
 * five minutes, is bound to its purpose and user, stored in PostgreSQL (so any instance can finish a ceremony
 * another began) and spent by the one UPDATE that accepts it. Signature counters only move forward.
 */
@Injectable()
export class WebauthnService {
  constructor(
    private readonly repo: MfaRepository,
    private readonly mfa: MfaService,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly config: AppConfig,
  ) {}

  private rp(): { rpID: string; origin: string; rpName: string } {
    const url = new URL(this.config.publicUrl);
    return { rpID: url.hostname, origin: url.origin, rpName: this.config.env.MFA_TOTP_ISSUER };
  }

  /** 32 random bytes; stored (and seen in clientDataJSON) as their base64url. */
  private async challenge(
    userId: string | null,
    purpose: 'register' | 'authenticate',
  ): Promise<Uint8Array<ArrayBuffer>> {
    const bytes = this.random.bytes(32);
    const now = this.clock.now();
    await this.repo.insertChallenge({
      challenge: bytes.toString('base64url'),
      userId,
      purpose,
      createdAt: now,
      expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS),
    });
    return Uint8Array.from(bytes);
  }

  /** Options for registering a passkey (discoverable, so it also serves passwordless sign-in). */
  async registrationOptions(principal: Principal): Promise<Record<string, unknown>> {
    const user = await this.mfa.userOf(principal);
    const existing = (await this.repo.factors(user.id)).filter((f) => f.kind === 'webauthn' && f.credentialId);
    const { rpID, rpName } = this.rp();
    return (await generateRegistrationOptions({
      rpName,
      rpID,
      userName: user.email,
      userID: Buffer.from(user.id.replace(/-/g, ''), 'hex'),
      challenge: await this.challenge(user.id, 'register'),
      attestationType: 'none',
      excludeCredentials: existing.map((f) => ({ id: f.credentialId!, transports: f.transports ?? undefined })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
      timeout: CHALLENGE_TTL_MS,
    })) as unknown as Record<string, unknown>;
  }

  /** Verifies a registration over a challenge issued to this user (spent here) and adds the passkey as a factor. */
  async register(principal: Principal, response: Record<string, unknown>, name: string): Promise<TotpConfirmedView> {
    const user = await this.mfa.userOf(principal);
    const refused = () =>
      new MfaException(MfaErrorCode.WEBAUTHN_REGISTRATION_FAILED, 'The passkey registration did not verify.');
    const challenge = challengeOf(response);
    const now = this.clock.now();
    if (!challenge || !(await this.repo.useChallenge(challenge, 'register', user.id, now))) throw refused();
    const { rpID, origin } = this.rp();
    let verification;
    try {
      verification = await verifyRegistrationResponse({
        response: response as unknown as RegistrationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: origin,
        expectedRPID: rpID,
      });
    } catch {
      throw refused();
    }
    if (!verification.verified) throw refused();
    const credential = verification.registrationInfo.credential;
    const answer = await this.repo.transaction(async (em) => {
      await this.repo.lockUser(em, user.id);
      const factor = {
        id: uuidFrom(this.random),
        userId: user.id,
        kind: 'webauthn' as const,
        name,
        secretCiphertext: null,
        keyVersion: null,
        lastUsedStep: null,
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        signCount: String(credential.counter),
        transports: credential.transports ?? null,
        confirmedAt: now,
        createdAt: now,
        lastUsedAt: null,
      };
      await this.repo.insertFactor(em, factor);
      return this.mfa.activated(em, user, principal, factor, now);
    });
    this.mfa.forgetUser(user.id);
    return answer;
  }

  /** Options for an assertion: for a known user (second factor) with its credentials, or for anyone (passwordless). */
  async authenticationOptions(userId: string | null): Promise<Record<string, unknown>> {
    const allow = userId
      ? (await this.repo.factors(userId))
          .filter((f) => f.kind === 'webauthn' && f.confirmedAt && f.credentialId)
          .map((f) => ({ id: f.credentialId!, transports: f.transports ?? undefined }))
      : undefined;
    return (await generateAuthenticationOptions({
      rpID: this.rp().rpID,
      allowCredentials: allow,
      challenge: await this.challenge(userId, 'authenticate'),
      userVerification: userId ? 'preferred' : 'required',
      timeout: CHALLENGE_TTL_MS,
    })) as unknown as Record<string, unknown>;
  }

  /**
   * Verifies an assertion over a challenge issued for `userId` (null: passwordless, which also requires user
   * verification), spending the challenge; answers the user whose passkey signed, or undefined when anything fails
   * (unknown credential, another user's, wrong origin or RP, bad signature, a counter that did not grow).
   */
  async verifyAssertion(userId: string | null, response: Record<string, unknown>): Promise<string | undefined> {
    const challenge = challengeOf(response);
    const now = this.clock.now();
    if (!challenge || !(await this.repo.useChallenge(challenge, 'authenticate', userId, now))) return undefined;
    const credentialId = typeof response.id === 'string' ? response.id : undefined;
    const factor = credentialId && (await this.repo.passkeyByCredentialId(credentialId));
    if (!factor || !factor.confirmedAt || !factor.publicKey || (userId && factor.userId !== userId)) return undefined;
    const { rpID, origin } = this.rp();
    try {
      const result = await verifyAuthenticationResponse({
        response: response as unknown as AuthenticationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: origin,
        expectedRPID: rpID,
        requireUserVerification: userId === null,
        credential: {
          id: factor.credentialId!,
          publicKey: Buffer.from(factor.publicKey, 'base64url'),
          counter: Number(factor.signCount),
          transports: factor.transports ?? undefined,
        },
      });
      if (!result.verified) return undefined;
      if (!(await this.repo.advanceSignCount(factor.id, result.authenticationInfo.newCounter, now))) return undefined;
      return factor.userId;
    } catch {
      return undefined;
    }
  }
}
