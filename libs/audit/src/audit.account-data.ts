import { Injectable, OnModuleInit } from '@nestjs/common';
import { AccountData, AccountDataPart, ErasureFacts, ErasureSubject, Principal } from '@app/core';
import type { EntityManager } from 'typeorm';
import { AuditService } from './audit.service';
import type { AuditEventView } from './dto/audit-event.response';

/**
 * The audit log's share of a person's data: the events by or about them in the export; on erasure their events are
 * pseudonymised (their id replaced, IP, user agent and details cleared; the hash chain still verifies), never deleted.
 */
@Injectable()
export class AuditAccountData implements AccountDataPart, OnModuleInit {
  readonly name = 'auditEvents';
  readonly order = 50;
  readonly countedInExportAudit = true;

  constructor(
    private readonly audit: AuditService,
    private readonly registry: AccountData,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  export(p: Principal): Promise<AuditEventView[]> {
    return this.audit.aboutUser(p.userId);
  }

  async erase(subject: ErasureSubject, em: EntityManager): Promise<ErasureFacts> {
    const { redacted, keptV1 } = await this.audit.pseudonymiseUser(subject.userId, subject.pseudonym, em);
    return { auditEventsPseudonymised: redacted, v1EventsKept: keptV1 };
  }
}
