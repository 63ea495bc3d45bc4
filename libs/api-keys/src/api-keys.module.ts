import { ApiKeysAccountCounter } from './api-keys.account-counter';
import { Module, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { AuthModule } from '@app/auth';
import { ChangeFeed, USER_CHANGES_TOPIC } from '@app/core';
import { NotificationsModule } from '@app/notifications';
import { AdminApiKeysController } from './admin-api-keys.controller';
import { ApiKeyCredentialResolver } from './api-key-credential.resolver';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysAccountData } from './api-keys.account-data';
import { ApiKeysCredentialRevoker } from './api-keys.credential-revoker';
import { ApiKeyJobs } from './api-keys.jobs';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService, KEY_TOPIC } from './api-keys.service';
import { DenialAuditor } from './denial-auditor';
import { KeyCache } from './key-cache';
import { KeyHasher } from './key-hasher';
import { KeyReportsService } from './key-reports.service';
import { KeyVerificationController } from './key-verification.controller';
import { KeyVerificationService } from './key-verification.service';
import { KeyVerifier } from './key-verifier';
import { UsageRecorder } from './usage/usage-recorder';

@Module({
  imports: [AuditModule, NotificationsModule, AuthModule],
  controllers: [ApiKeysController, AdminApiKeysController, KeyVerificationController],
  providers: [
    ApiKeysRepository,
    KeyHasher,
    KeyCache,
    UsageRecorder,
    DenialAuditor,
    KeyVerifier,
    ApiKeyCredentialResolver,
    ApiKeysService,
    KeyReportsService,
    KeyVerificationService,
    ApiKeyJobs,
    ApiKeysAccountData,
    ApiKeysCredentialRevoker,
    ApiKeysAccountCounter,
  ],
  exports: [ApiKeysService, KeyReportsService, KeyVerifier, ApiKeyJobs, UsageRecorder],
})
export class ApiKeysModule implements OnModuleInit, OnApplicationBootstrap {
  constructor(
    private readonly changes: ChangeFeed,
    private readonly cache: KeyCache,
    private readonly hasher: KeyHasher,
  ) {}

  /** Changes made anywhere (this or another instance) drop the affected cache entries. */
  onModuleInit(): void {
    this.hasher.validate();
    this.changes.subscribe(KEY_TOPIC, (id) => (id ? this.cache.invalidateKey(id) : this.cache.clear()));
    this.changes.subscribe(USER_CHANGES_TOPIC, (id) => (id ? this.cache.invalidateOwner(id) : this.cache.clear()));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.cache.enabled) await this.changes.listen();
  }
}
