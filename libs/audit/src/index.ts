import type { SchemaParts } from '@app/core';
import { AuditEvent } from './entities/audit-event.entity';
import { CreateAuditEvents1763900000000 } from './migrations/1763900000000-CreateAuditEvents';
import { AuditTargetIndex1763900250000 } from './migrations/1763900250000-AuditTargetIndex';

export { AuditModule } from './audit.module';
export { AuditService } from './audit.service';
export type { AuditEntry, AuditEventView, ChainVerification } from './audit.service';
export { AuditEvent } from './entities/audit-event.entity';
export type { AuditActorType, AuditOutcome } from './entities/audit-event.entity';
export { canonicalJson, chainHash, GENESIS_HASH } from './audit-chain';

export const auditSchema: Partial<SchemaParts> = {
  entities: [AuditEvent],
  migrations: [CreateAuditEvents1763900000000, AuditTargetIndex1763900250000],
  appendOnlyTables: ['audit_events'],
};
