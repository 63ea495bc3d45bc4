import type { SchemaParts } from '@app/core';
import { AuditEvent } from './entities/audit-event.entity';
import { CreateAuditEvents1763900000000 } from './migrations/1763900000000-CreateAuditEvents';
import { AuditTargetIndex1763900250000 } from './migrations/1763900250000-AuditTargetIndex';
import { AuditChainV21763900600000 } from './migrations/1763900600000-AuditChainV2';
import { AuditCheckpoints1763901320000 } from './migrations/1763901320000-AuditCheckpoints';

export { AuditModule } from './audit.module';
export { AuditService } from './audit.service';
export { AuditRetention, AUDIT_RETENTION_JOB } from './audit-retention';
export { EXPORT_BATCH as AUDIT_EXPORT_BATCH } from './audit-query.service';
export type { AuditEntry } from './audit.service';
export { AuditEventPage, AuditEventView } from './dto/audit-event.response';
export { chainHash } from './audit-chain';

export const auditSchema: Partial<SchemaParts> = {
  entities: [AuditEvent],
  migrations: [
    CreateAuditEvents1763900000000,
    AuditTargetIndex1763900250000,
    AuditChainV21763900600000,
    AuditCheckpoints1763901320000,
  ],
  appendOnlyTables: ['audit_events'],
  // Written only by audit_purge_through (SECURITY DEFINER): the app role cannot forge a checkpoint.
  readOnlyTables: ['audit_checkpoints'],
  // Erasure overwrites personal fields of chain-v2 rows; hashes, digests, actions and times stay untouchable.
  redactableColumns: {
    audit_events: ['actor_id', 'target_id', 'ip', 'user_agent', 'details', 'pii_salt', 'redacted_at'],
  },
};
