import type { SchemaParts } from '@app/core';
import { ApiKey } from './entities/api-key.entity';
import { ApiKeyNetwork, ApiKeyUsageDaily } from './entities/api-key-usage.entity';
import { CreateApiKeys1763900300000 } from './migrations/1763900300000-CreateApiKeys';
import { KeyIpReportedBy1763901305000 } from './migrations/1763901305000-KeyIpReportedBy';

export { ApiKeysModule } from './api-keys.module';
export { ApiKeysService } from './api-keys.service';
export { KeyReportsService } from './key-reports.service';
export { KeyVerifier } from './key-verifier';
export { ApiKeyJobs } from './api-keys.jobs';
export { UsageRecorder } from './usage/usage-recorder';
export { CreateApiKeyDto, RotateApiKeyDto } from './dto/api-key.dto';
export { ApiKeyView } from './dto/api-key.response';

export const apiKeysSchema: Partial<SchemaParts> = {
  entities: [ApiKey, ApiKeyUsageDaily, ApiKeyNetwork],
  migrations: [CreateApiKeys1763900300000, KeyIpReportedBy1763901305000],
  appendOnlyTables: [],
};
