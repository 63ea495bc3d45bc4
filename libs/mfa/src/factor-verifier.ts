import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit';
import { AttemptSource, AuthErrorCode, AuthException, PasswordHasher, SecondFactorLogin, User } from '@app/auth';
import { Clock, CoreErrorCode, CoreException } from '@app/core';
import { NotificationsService } from '@app/notifications';
import { MfaRepository } from './mfa.repository';
import { mfaMails } from './mfa.mails';
import { FactorProof, ProvenMethod } from './mfa.types';
import { normaliseRecoveryCode } from './recovery-codes';
import { matchTotpStep } from './totp';
import { TotpSecretCodec } from './totp-secret.codec';
import { WebauthnService } from './webauthn.service';

/**
 * Checks and spends one presented factor (a TOTP code or a recovery code) for a user, under the per-(account, source)
 * lockout of `source` (SecondFactorLogin.verifyUnderLockout: a wrong code counts like a wrong password on the same
 * rows, a locked source refuses even a right one). A TOTP code is accepted once: its time step must be later than the last one used (one UPDATE, so two
 * instances cannot both accept it). A recovery code is spent once; its use is audited and mailed.
 */
@Injectable()
export class FactorVerifier {
  constructor(
    private readonly repo: MfaRepository,
    private readonly codec: TotpSecretCodec,
    private readonly hasher: PasswordHasher,
    private readonly login: SecondFactorLogin,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
    private readonly clock: Clock,
    private readonly webauthn: WebauthnService,
  ) {}

  /** Exactly one proof; answers the method proven or throws SECOND_FACTOR_INVALID (wrong, spent or locked). */
  async verify(user: User, proof: FactorProof, source: AttemptSource): Promise<ProvenMethod> {
    const given = [proof.totp, proof.recoveryCode, proof.webauthn].filter((v) => v !== undefined).length;
    if (given !== 1)
      throw new CoreException(
        CoreErrorCode.VALIDATION_FAILED,
        'Send exactly one second factor: totp, recoveryCode or webauthn.',
      );
    const method: ProvenMethod =
      proof.totp !== undefined ? 'totp' : proof.recoveryCode !== undefined ? 'recoveryCode' : 'webauthn';
    const verdict = await this.login.verifyUnderLockout(user.id, source, async () => {
      if (method === 'totp') return this.spendTotp(user.id, proof.totp!);
      if (method === 'recoveryCode') return this.spendRecoveryCode(user, proof.recoveryCode!);
      return (await this.webauthn.verifyAssertion(user.id, proof.webauthn!)) === user.id;
    });
    if (verdict !== 'ok') {
      await this.audit.record({
        action: 'mfa.verify',
        outcome: 'failure',
        actorId: user.id,
        targetType: 'user',
        targetId: user.id,
        details: { method, reason: verdict === 'locked' ? 'locked' : 'wrong' },
      });
      throw new AuthException(AuthErrorCode.SECOND_FACTOR_INVALID, 'The second factor is wrong or already used.');
    }
    return method;
  }

  private async spendTotp(userId: string, code: string): Promise<boolean> {
    const factor = await this.repo.confirmedTotp(userId);
    if (!factor?.secretCiphertext) return false;
    let secret: Buffer;
    try {
      secret = this.codec.open(userId, factor.id, factor.secretCiphertext);
    } catch {
      // A secret that does not decrypt (moved or tampered in the database, its key retired): no code can match.
      await this.audit.record({
        action: 'mfa.secret_integrity_failed',
        outcome: 'failure',
        actorType: 'system',
        targetType: 'mfa_factor',
        targetId: factor.id,
        details: { during: 'verify' },
      });
      return false;
    }
    const now = this.clock.now();
    try {
      const step = matchTotpStep(secret, code, now.getTime());
      return step !== undefined && (await this.repo.useTotpStep(factor.id, step, now));
    } finally {
      secret.fill(0);
    }
  }

  private async spendRecoveryCode(user: User, input: string): Promise<boolean> {
    const code = normaliseRecoveryCode(input);
    if (!code) return false;
    for (const row of await this.repo.unusedRecoveryCodes(user.id)) {
      if (!(await this.hasher.verify(row.codeHash, code))) continue;
      return this.repo.transaction(async (em) => {
        if (!(await this.repo.useRecoveryCode(row.id, this.clock.now(), em))) return false;
        const left = await this.repo.countUnusedRecoveryCodes(user.id, em);
        await this.audit.record(
          {
            action: 'mfa.recovery_code_used',
            outcome: 'success',
            actorId: user.id,
            targetType: 'user',
            targetId: user.id,
            details: { left },
          },
          em,
        );
        await this.notifications.enqueueEmail(em, {
          kind: 'mfa.recovery_code_used',
          to: user.email,
          ...mfaMails.recoveryCodeUsed(left),
        });
        return true;
      });
    }
    return false;
  }
}
