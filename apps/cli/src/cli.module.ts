import { DynamicModule, Module } from '@nestjs/common';
import { ApiKeysModule } from '@app/api-keys';
import { AuditModule } from '@app/audit';
import { AuthModule } from '@app/auth';
import { CoreModule, CoreRuntime } from '@app/core';
import { EncryptionModule } from '@app/encryption';
import { ProfilesModule } from '@app/profiles';
import { AuditVerifyCommand } from './commands/audit-verify.command';
import { AuthCalibrateCommand } from './commands/auth-calibrate.command';
import { CryptoRetireCommand, CryptoRewrapCommand, CryptoStatusCommand } from './commands/crypto.commands';
import { KeysReportCommand } from './commands/keys-report.command';
import { CreateAdminCommand, DisableUserCommand, GrantScopeCommand, ImportUsersCommand, RevokeScopeCommand } from './commands/users.commands';

@Module({})
export class CliModule {
  static register(runtime: CoreRuntime): DynamicModule {
    return {
      module: CliModule,
      imports: [CoreModule.forRoot(runtime), AuditModule, AuthModule, ApiKeysModule, EncryptionModule, ProfilesModule],
      providers: [AuditVerifyCommand, AuthCalibrateCommand, CreateAdminCommand, DisableUserCommand, GrantScopeCommand, RevokeScopeCommand, ImportUsersCommand, KeysReportCommand, CryptoRewrapCommand, CryptoRetireCommand, CryptoStatusCommand],
    };
  }
}
