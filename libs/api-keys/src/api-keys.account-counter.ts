import { Injectable, OnModuleInit } from '@nestjs/common';
import { AccountCounter, AccountCounts } from '@app/core';
import { ApiKeysService } from './api-keys.service';

/** How many live API keys a user holds (they would be accepted now), for the admin's view of a user. */
@Injectable()
export class ApiKeysAccountCounter implements AccountCounter, OnModuleInit {
  readonly name = 'apiKeys';

  constructor(
    private readonly keys: ApiKeysService,
    private readonly counts: AccountCounts,
  ) {}

  onModuleInit(): void {
    this.counts.register(this);
  }

  async count(userId: string): Promise<number> {
    return (await this.keys.liveOf(userId)).length;
  }
}
