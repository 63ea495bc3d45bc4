import { Injectable, OnModuleInit } from '@nestjs/common';
import { AccountData, AccountDataPart, ADMIN_SCOPE, Principal } from '@app/core';
import { ApiKeysService } from './api-keys.service';
import type { ApiKeyView } from './dto/api-key.response';

/** Metadata of every key the person owns (never secrets or hashes); erasure removes the keys with the account. */
@Injectable()
export class ApiKeysAccountData implements AccountDataPart, OnModuleInit {
  readonly name = 'apiKeys';
  readonly order = 30;
  readonly countedInExportAudit = true;

  constructor(
    private readonly keys: ApiKeysService,
    private readonly registry: AccountData,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  /** Every page of the caller's own keys (an admin's export holds their keys, not everyone's). */
  async export(p: Principal): Promise<ApiKeyView[]> {
    const own = { ...p, scopes: p.scopes.filter((s) => s !== ADMIN_SCOPE) };
    const items: ApiKeyView[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.keys.list(own, { limit: 100, cursor });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return items;
  }
}
