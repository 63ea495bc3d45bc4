import type { SchemaParts } from '@app/core';
import { ApiKey } from './entities/api-key.entity';
import { ApiKeyNetwork, ApiKeyUsageDaily } from './entities/api-key-usage.entity';
import { CreateApiKeys1763900300000 } from './migrations/1763900300000-CreateApiKeys';

export { ApiKeysModule } from './api-keys.module';
export { ApiKeysService } from './api-keys.service';
export { KeyReportsService } from './key-reports.service';
export type { HygieneReport, KeyUsage } from './key-reports.service';
export { KeyVerifier } from './key-verifier';
export type { Verification, VerifyCode } from './key-verifier';
export { ApiKeyJobs } from './api-keys.jobs';
export { UsageRecorder } from './usage/usage-recorder';
export { ApiKeyErrorCode } from './api-key-error-codes';
export { CreateApiKeyDto, RotateApiKeyDto } from './dto/api-key.dto';
export {
  ApiKeyPage,
  ApiKeyQuotaRefillView,
  ApiKeyQuotaView,
  ApiKeyRateLimitView,
  ApiKeyView,
  CreatedApiKeyView,
  RotatedApiKeyView,
} from './dto/api-key.response';
export { ApiKeyHygieneReportView, ApiKeyUsageDayView, ApiKeyUsageView } from './dto/key-usage.response';
export { KeyVerificationRateLimitView, KeyVerificationView } from './dto/key-verification.response';
export type { VerifyAnswer } from './key-verification.service';
export { API_KEY_PATTERN, parseKey } from './key-format';
export { ApiKey } from './entities/api-key.entity';

export const apiKeysSchema: Partial<SchemaParts> = {
  entities: [ApiKey, ApiKeyUsageDaily, ApiKeyNetwork],
  migrations: [CreateApiKeys1763900300000],
  appendOnlyTables: [],
};
