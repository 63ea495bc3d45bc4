import type { SchemaParts } from '@app/core';
import { MfaFactor } from './entities/mfa-factor.entity';
import { MfaLoginToken } from './entities/mfa-login-token.entity';
import { RecoveryCode } from './entities/recovery-code.entity';
import { WebauthnChallenge } from './entities/webauthn-challenge.entity';
import { CreateMfa1763901910000 } from './migrations/1763901910000-CreateMfa';

export { MfaModule } from './mfa.module';
export { MfaService } from './mfa.service';
export { TOTP_PURPOSE } from './totp-secret.codec';

export const mfaSchema: Partial<SchemaParts> = {
  entities: [MfaFactor, RecoveryCode, MfaLoginToken, WebauthnChallenge],
  migrations: [CreateMfa1763901910000],
  appendOnlyTables: [],
};
