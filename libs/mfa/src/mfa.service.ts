import { Injectable } from '@nestjs/common';
import { toString as qrToString } from 'qrcode';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@app/audit';
import { PasswordHasher, SecondFactorLogin, User } from '@app/auth';
import { AppConfig, Clock, CoreErrorCode, CoreException, Principal } from '@app/core';
import { RandomSource } from '@app/crypto';
import { NotificationsService } from '@app/notifications';
import {
  FactorRemovedView,
  FactorView,
  MfaResetView,
  MfaStatusView,
  RecoveryCodesView,
  TotpConfirmedView,
  TotpEnrolmentView,
} from './dto/mfa.response';
import { MfaFactor } from './entities/mfa-factor.entity';
import { MfaErrorCode, MfaException } from './mfa-error-codes';
import { mfaMails } from './mfa.mails';
import { MfaRepository } from './mfa.repository';
import { newRecoveryCodes } from './recovery-codes';
import { base32Secret, matchTotpStep, otpauthUri, TOTP_SECRET_BYTES } from './totp';
import { TotpSecretCodec } from './totp-secret.codec';
import { uuidFrom } from './uuid';

export function factorView(f: MfaFactor): FactorView {
  return {
    id: f.id,
    kind: f.kind,
    name: f.name,
    createdAt: f.createdAt.toISOString(),
    lastUsedAt: f.lastUsedAt?.toISOString() ?? null,
  };
}

/**
 * Enrolling and managing second factors. Every change is a sensitive action (the routes ask for a recent
 * authentication, and aal2 once a factor exists), runs in one transaction under a per-user lock, ends the user's
 * other sessions (ASVS 7.4.3), is audited and mailed; the user's "has a factor" flag changes with it.
 */
@Injectable()
export class MfaService {
  constructor(
    private readonly repo: MfaRepository,
    private readonly codec: TotpSecretCodec,
    private readonly login: SecondFactorLogin,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly config: AppConfig,
  ) {}

  async status(userId: string): Promise<MfaStatusView> {
    const factors = (await this.repo.factors(userId)).filter((f) => f.confirmedAt);
    return {
      mfaEnabled: factors.length > 0,
      factors: factors.map(factorView),
      recoveryCodesLeft: await this.repo.countUnusedRecoveryCodes(userId),
    };
  }

  /** Starts an authenticator enrolment: a fresh secret, sealed, shown once (a previous pending one is replaced). */
  async startTotp(principal: Principal, name = 'Authenticator app'): Promise<TotpEnrolmentView> {
    const user = await this.userOf(principal);
    const secret = this.random.bytes(TOTP_SECRET_BYTES);
    const id = uuidFrom(this.random);
    const sealed = this.codec.seal(user.id, id, secret);
    await this.repo.transaction(async (em) => {
      await this.repo.lockUser(em, user.id);
      if (await this.repo.countConfirmedTotp(em, user.id))
        throw new MfaException(MfaErrorCode.TOTP_ALREADY_ENROLLED, 'Remove the enrolled authenticator first.');
      await this.repo.deletePendingTotp(em, user.id);
      await this.repo.insertFactor(em, {
        id,
        userId: user.id,
        kind: 'totp',
        name,
        secretCiphertext: sealed.ciphertext,
        keyVersion: sealed.keyVersion,
        lastUsedStep: null,
        credentialId: null,
        publicKey: null,
        signCount: '0',
        transports: null,
        confirmedAt: null,
        createdAt: this.clock.now(),
        lastUsedAt: null,
      });
    });
    const uri = otpauthUri(secret, this.config.env.MFA_TOTP_ISSUER, user.email);
    const view = {
      factorId: id,
      secret: base32Secret(secret),
      otpauthUri: uri,
      qrSvg: await qrToString(uri, { type: 'svg' }),
    };
    secret.fill(0);
    return view;
  }

  /**
   * Confirms the pending authenticator with its first code (which counts as used: it cannot sign in afterwards). The
   * session that did it proved the factor, so it becomes aal2; the others end. The first factor comes with
   * recovery codes.
   */
  async confirmTotp(principal: Principal, code: string): Promise<TotpConfirmedView> {
    const user = await this.userOf(principal);
    const now = this.clock.now();
    const answer = await this.repo.transaction(async (em) => {
      await this.repo.lockUser(em, user.id);
      const pending = (await this.repo.factors(user.id, em)).find((f) => f.kind === 'totp' && !f.confirmedAt);
      if (!pending?.secretCiphertext)
        throw new MfaException(
          MfaErrorCode.TOTP_ENROLMENT_NOT_FOUND,
          'Start an enrolment first (POST /v1/auth/mfa/totp).',
        );
      const secret = this.codec.open(user.id, pending.id, pending.secretCiphertext);
      const step = matchTotpStep(secret, code, now.getTime());
      secret.fill(0);
      if (step === undefined || !(await this.repo.useTotpStep(pending.id, step, now, em)))
        throw new MfaException(
          MfaErrorCode.TOTP_CODE_WRONG,
          'The code does not match; check the device clock and retry.',
        );
      await this.repo.confirm(em, pending.id, now);
      return this.activated(em, user, principal, { ...pending, confirmedAt: now }, now);
    });
    this.login.forgetUser(user.id);
    return answer;
  }

  /**
   * A factor just proven by the session that added it (a confirmed TOTP, a verified passkey), in `em` under the
   * user's lock: recovery codes when it is the first, the flag, the other sessions ended, audit and mail; the
   * session becomes aal2.
   */
  async activated(
    em: EntityManager,
    user: User,
    principal: Principal,
    factor: MfaFactor,
    now: Date,
  ): Promise<TotpConfirmedView> {
    const first = (await this.repo.countConfirmed(em, user.id)) === 1;
    const recoveryCodes = first ? await this.replaceRecoveryCodes(em, user.id) : [];
    const sessionsEnded = await this.changed(em, user, principal, 'mfa.factor_added', factor);
    await this.login.stepUp(user.id, principal.sessionId!, now, em);
    return { factor: factorView(factor), recoveryCodes, sessionsEnded };
  }

  /** After a factor change committed: this instance drops the user's cached sessions (their aal, "has a factor"). */
  forgetUser(userId: string): void {
    this.login.forgetUser(userId);
  }

  /** Renames one of the user's factors (a passkey: "Laptop", "YubiKey"). */
  async rename(principal: Principal, factorId: string, name: string): Promise<FactorView> {
    const row = await this.repo.rename(principal.userId, factorId, name);
    if (!row) throw new MfaException(MfaErrorCode.MFA_FACTOR_NOT_FOUND, 'No such second factor.');
    return factorView(row);
  }

  /** Removes one of the user's factors; the last one takes the recovery codes with it. */
  async removeFactor(principal: Principal, factorId: string): Promise<FactorRemovedView> {
    const user = await this.userOf(principal);
    const answer = await this.repo.transaction(async (em) => {
      await this.repo.lockUser(em, user.id);
      const removed = await this.repo.deleteFactor(em, user.id, factorId);
      if (!removed) throw new MfaException(MfaErrorCode.MFA_FACTOR_NOT_FOUND, 'No such second factor.');
      const left = await this.repo.countConfirmed(em, user.id);
      if (!left) await this.repo.deleteAll(em, user.id);
      const sessionsEnded = removed.confirmedAt
        ? await this.changed(em, user, principal, 'mfa.factor_removed', removed, left > 0)
        : 0;
      return { mfaEnabled: left > 0, sessionsEnded };
    });
    this.login.forgetUser(user.id);
    return answer;
  }

  /** A new set of recovery codes (the old ones stop working); audited and mailed. */
  async regenerateRecoveryCodes(principal: Principal): Promise<RecoveryCodesView> {
    const user = await this.userOf(principal);
    return this.repo.transaction(async (em) => {
      await this.repo.lockUser(em, user.id);
      if (!(await this.repo.countConfirmed(em, user.id)))
        throw new MfaException(MfaErrorCode.MFA_NOT_ENROLLED, 'Enrol a second factor first.');
      const recoveryCodes = await this.replaceRecoveryCodes(em, user.id);
      await this.audit.record(
        {
          action: 'mfa.recovery_codes_regenerated',
          outcome: 'success',
          actorId: user.id,
          targetType: 'user',
          targetId: user.id,
        },
        em,
      );
      await this.notifications.enqueueEmail(em, {
        kind: 'mfa.recovery_codes_regenerated',
        to: user.email,
        ...mfaMails.recoveryCodesRegenerated(),
      });
      return { recoveryCodes };
    });
  }

  /**
   * An administrator's reset (a user who lost every factor): all factors and recovery codes go, every session of
   * the user ends; audited (with the admin as actor, or the CLI as system) and mailed. `actor` undefined: the CLI.
   */
  async reset(actor: Principal | undefined, userId: string): Promise<MfaResetView> {
    const user = await this.login.user(userId);
    if (!user) throw new CoreException(CoreErrorCode.NOT_FOUND, 'No such user.');
    const answer = await this.repo.transaction(async (em) => {
      await this.repo.lockUser(em, user.id);
      const factorsRemoved = await this.repo.deleteAll(em, user.id);
      await this.login.setEnrolled(em, user.id, false);
      const sessionsEnded = await this.login.endOtherSessions(user.id, undefined, em);
      await this.audit.record(
        {
          action: 'mfa.reset',
          outcome: 'success',
          ...(actor ? { actorId: actor.userId } : { actorType: 'system' as const }),
          targetType: 'user',
          targetId: user.id,
          details: { factorsRemoved, sessionsEnded, via: actor ? 'api' : 'cli' },
        },
        em,
      );
      await this.notifications.enqueueEmail(em, { kind: 'mfa.reset', to: user.email, ...mfaMails.factorsReset() });
      return { factorsRemoved, sessionsEnded };
    });
    this.login.forgetUser(user.id);
    return answer;
  }

  /** The user behind a session that manages factors (refused for keys). */
  async userOf(principal: Principal): Promise<User> {
    if (principal.kind !== 'session' || !principal.sessionId)
      throw new CoreException(CoreErrorCode.SESSION_REQUIRED, 'Manage second factors from a signed-in session.');
    const user = await this.login.activeUser(principal.userId);
    if (!user) throw new CoreException(CoreErrorCode.NOT_FOUND, 'No such user.');
    return user;
  }

  private async replaceRecoveryCodes(em: EntityManager, userId: string): Promise<string[]> {
    const codes = newRecoveryCodes(this.random);
    const now = this.clock.now();
    const rows = [];
    for (const code of codes)
      rows.push({
        id: uuidFrom(this.random),
        userId,
        codeHash: await this.hasher.hash(code.replace(/-/g, '')),
        usedAt: null,
        createdAt: now,
      });
    await this.repo.replaceRecoveryCodes(em, userId, rows);
    return codes;
  }

  /** A factor was added or removed: the flag, the other sessions, the audit row and the mail, in `em`. */
  private async changed(
    em: EntityManager,
    user: User,
    principal: Principal,
    action: 'mfa.factor_added' | 'mfa.factor_removed',
    factor: MfaFactor,
    enrolled = true,
  ): Promise<number> {
    await this.login.setEnrolled(em, user.id, enrolled);
    const sessionsEnded = await this.login.endOtherSessions(user.id, principal.sessionId, em);
    await this.audit.record(
      {
        action,
        outcome: 'success',
        actorId: user.id,
        targetType: 'mfa_factor',
        targetId: factor.id,
        details: { kind: factor.kind, sessionsEnded },
      },
      em,
    );
    const mail = action === 'mfa.factor_added' ? mfaMails.factorAdded : mfaMails.factorRemoved;
    await this.notifications.enqueueEmail(em, { kind: action, to: user.email, ...mail(factor.kind, factor.name) });
    return sessionsEnded;
  }
}
