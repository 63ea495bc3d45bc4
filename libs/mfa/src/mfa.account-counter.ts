import { Injectable, OnModuleInit } from '@nestjs/common';
import { AccountCounter, AccountCounts } from '@app/core';
import { MfaRepository } from './mfa.repository';

/**
 * How many second factors a user has enrolled (confirmed), for the admin's view of a user; its `existsSql` answers
 * the user list's `mfa` filter.
 */
@Injectable()
export class MfaAccountCounter implements AccountCounter, OnModuleInit {
  readonly name = 'factors';

  constructor(
    private readonly repo: MfaRepository,
    private readonly counts: AccountCounts,
  ) {}

  onModuleInit(): void {
    this.counts.register(this);
  }

  count(userId: string): Promise<number> {
    return this.repo.transaction((em) => this.repo.countConfirmed(em, userId));
  }

  /** `userIdColumn` is a constant column name from code (AccountCounts.existsSql), never a client's value. */
  existsSql(userIdColumn: string): string {
    return `EXISTS (SELECT 1 FROM mfa_factors mf WHERE mf.user_id = ${userIdColumn} AND mf.confirmed_at IS NOT NULL)`;
  }
}
