import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { ApiKeysModule } from '@app/api-keys';
import { AuditModule } from '@app/audit';
import { AuthModule } from '@app/auth';
import { CertificatesModule } from '@app/certificates';
import { CoreModule, CoreRuntime } from '@app/core';
import { EncryptionModule } from '@app/encryption';
import { MfaModule } from '@app/mfa';
import { NotificationsModule } from '@app/notifications';
import { ProfilesModule } from '@app/profiles';

@Module({})
export class AppModule {
  static register(runtime: CoreRuntime): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(runtime),
        ScheduleModule.forRoot(),
        AuditModule,
        NotificationsModule,
        AuthModule,
        MfaModule,
        ApiKeysModule,
        EncryptionModule,
        ProfilesModule,
        CertificatesModule,
      ],
    };
  }
}
