import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { AuthModule } from '@app/auth';
import { NotificationsModule } from '@app/notifications';
import { FactorVerifier } from './factor-verifier';
import { MfaCiphertextStore } from './mfa-ciphertext.store';
import { MfaJobs } from './mfa.jobs';
import { MfaLoginService } from './mfa-login.service';
import { MfaController } from './mfa.controller';
import { MfaAccountCounter } from './mfa.account-counter';
import { MfaRepository } from './mfa.repository';
import { MfaService } from './mfa.service';
import { TotpSecretCodec } from './totp-secret.codec';
import { PasskeyPagesController } from './pages/passkey-pages.controller';
import { WebauthnService } from './webauthn.service';

/**
 * Second factors: TOTP, recovery codes, the second step of a login and the step-up with a factor. Builds on auth
 * (it registers its login gate with auth's SecondFactorGates, so auth does not import it), CryptoService from the
 * global crypto composition, and CiphertextStores from core (its TOTP secrets are rewrapped with the rest).
 */
@Module({
  imports: [AuthModule, AuditModule, NotificationsModule],
  controllers: [MfaController, PasskeyPagesController],
  providers: [
    MfaRepository,
    TotpSecretCodec,
    WebauthnService,
    FactorVerifier,
    MfaLoginService,
    MfaService,
    MfaCiphertextStore,
    MfaJobs,
    MfaAccountCounter,
  ],
  exports: [MfaService],
})
export class MfaModule {}
