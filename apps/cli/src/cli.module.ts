import { DynamicModule, Module } from '@nestjs/common';
import { ApiKeysModule } from '@app/api-keys';
import { AuditModule } from '@app/audit';
import { AuthModule } from '@app/auth';
import { CertificatesModule } from '@app/certificates';
import { CoreModule, CoreRuntime } from '@app/core';
import { EncryptionModule } from '@app/encryption';
import { MfaModule } from '@app/mfa';
import { NotificationsModule } from '@app/notifications';
import { ProfilesModule } from '@app/profiles';
import {
  UsersChangeEmailCommand,
  UsersEndEverythingCommand,
  UsersEnableCommand,
  UsersForcePasswordResetCommand,
  UsersListCommand,
  UsersShowCommand,
  UsersUnlockCommand,
} from './commands/admin-users.commands';
import { AuditVerifyCommand } from './commands/audit-verify.command';
import { AuthCalibrateCommand } from './commands/auth-calibrate.command';
import { CertsCheckCommand, CertsDevCommand } from './commands/certs.commands';
import {
  CryptoAddKeyCommand,
  CryptoRetireCommand,
  CryptoRewrapCommand,
  CryptoStatusCommand,
} from './commands/crypto.commands';
import { JobsRunCommand } from './commands/jobs-run.command';
import { KeysReportCommand } from './commands/keys-report.command';
import { KeysIssueCommand, KeysListCommand, KeysRevokeCommand, KeysRotateCommand } from './commands/keys.commands';
import {
  CreateAdminCommand,
  DisableUserCommand,
  GrantScopeCommand,
  ImportUsersCommand,
  ResetMfaCommand,
  RevokeScopeCommand,
} from './commands/users.commands';

@Module({})
export class CliModule {
  static register(runtime: CoreRuntime): DynamicModule {
    return {
      module: CliModule,
      imports: [
        CoreModule.forRoot(runtime),
        AuditModule,
        NotificationsModule,
        AuthModule,
        MfaModule,
        ApiKeysModule,
        EncryptionModule,
        ProfilesModule,
        CertificatesModule,
      ],
      providers: [
        AuditVerifyCommand,
        AuthCalibrateCommand,
        CreateAdminCommand,
        DisableUserCommand,
        GrantScopeCommand,
        RevokeScopeCommand,
        ResetMfaCommand,
        ImportUsersCommand,
        UsersListCommand,
        UsersShowCommand,
        UsersEnableCommand,
        UsersUnlockCommand,
        UsersForcePasswordResetCommand,
        UsersEndEverythingCommand,
        UsersChangeEmailCommand,
        KeysReportCommand,
        CryptoRewrapCommand,
        CryptoRetireCommand,
        CryptoStatusCommand,
        CertsDevCommand,
        CertsCheckCommand,
        JobsRunCommand,
        KeysIssueCommand,
        KeysListCommand,
        KeysRevokeCommand,
        KeysRotateCommand,
        CryptoAddKeyCommand,
      ],
    };
  }
}
