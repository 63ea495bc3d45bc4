import { Injectable, OnModuleInit } from '@nestjs/common';
import { CredentialRevocation, CredentialRevoker, RevokeAllReason, RevokedCredentials } from '@app/core';
import type { EntityManager } from 'typeorm';
import { ApiKeysService } from './api-keys.service';

const prefixOf = (k: { environment: string; keyId: string }) => `sk_${k.environment}_${k.keyId}`;

/** API keys as standing credentials: auth lists them on a password change and revokes them on a reset. */
@Injectable()
export class ApiKeysCredentialRevoker implements CredentialRevoker, OnModuleInit {
  readonly name = 'apiKeys';

  constructor(
    private readonly keys: ApiKeysService,
    private readonly registry: CredentialRevocation,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  listLive(userId: string, em?: EntityManager) {
    return this.keys.liveOf(userId, em);
  }

  async revokeAll(userId: string, reason: RevokeAllReason, em: EntityManager): Promise<RevokedCredentials> {
    const revoked = await this.keys.revokeAllOf(em, userId, reason);
    return {
      revoked: revoked.map((k) => ({ id: k.id, name: k.name, prefix: prefixOf(k), scopes: k.scopes })),
      afterCommit: () => this.keys.dropCached(revoked),
    };
  }
}
