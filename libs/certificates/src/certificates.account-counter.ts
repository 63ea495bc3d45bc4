import { Injectable, OnModuleInit } from '@nestjs/common';
import { AccountCounter, AccountCounts } from '@app/core';
import { CertificatesRepository } from './certificates.repository';

/** How many certificates a user has in the inventory, for the admin's view of a user. */
@Injectable()
export class CertificatesAccountCounter implements AccountCounter, OnModuleInit {
  readonly name = 'certificates';

  constructor(
    private readonly repo: CertificatesRepository,
    private readonly counts: AccountCounts,
  ) {}

  onModuleInit(): void {
    this.counts.register(this);
  }

  count(userId: string): Promise<number> {
    return this.repo.countOwned(userId);
  }
}
