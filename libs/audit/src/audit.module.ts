import { Global, Module } from '@nestjs/common';
import { AuditTrail } from '@app/core';
import { AuditAccountData } from './audit.account-data';
import { AuditController } from './audit.controller';
import { AuditQueryService } from './audit-query.service';
import { AuditRetention } from './audit-retention';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';

/**
 * Global: every context records security events, and one that only writes (profiles) injects core's AuditTrail
 * without importing this context. Contexts that also read the log import the module and use AuditService.
 */
@Global()
@Module({
  controllers: [AuditController],
  providers: [
    AuditRepository,
    AuditService,
    AuditQueryService,
    AuditRetention,
    { provide: AuditTrail, useExisting: AuditService },
    AuditAccountData,
  ],
  exports: [AuditService, AuditTrail],
})
export class AuditModule {}
