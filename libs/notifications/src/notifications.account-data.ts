import { Injectable, OnModuleInit } from '@nestjs/common';
import { AccountData, AccountDataPart, ErasureSubject } from '@app/core';
import type { EntityManager } from 'typeorm';
import { NotificationsService } from './notifications.service';

/** The outbox's share of a person's data: nothing to export; on erasure, mail not yet sent to them is dropped. */
@Injectable()
export class NotificationsAccountData implements AccountDataPart, OnModuleInit {
  readonly name = 'outbox';
  /** After the audit events (50) in the export order, so erasure drops the mail right after pseudonymising them. */
  readonly order = 45;

  constructor(
    private readonly notifications: NotificationsService,
    private readonly registry: AccountData,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async erase(subject: ErasureSubject, em: EntityManager): Promise<void> {
    await this.notifications.forgetRecipient(em, subject.email);
  }
}
