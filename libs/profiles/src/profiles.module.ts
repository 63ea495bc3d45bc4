import { Module } from '@nestjs/common';
import { ApiKeysModule } from '@app/api-keys';
import { AuditModule } from '@app/audit';
import { AuthModule } from '@app/auth';
import { EncryptionModule } from '@app/encryption';
import { NotificationsModule } from '@app/notifications';
import { ProfileCodec } from './profile-codec';
import { ProfileErasureService } from './profile-erasure.service';
import { ProfileExportService } from './profile-export.service';
import { ProfilesCiphertextStore } from './profiles-ciphertext.store';
import { ProfilesController } from './profiles.controller';
import { ProfilesRepository } from './profiles.repository';
import { ProfilesService } from './profiles.service';
import { RevealAuditor } from './reveal-auditor';

@Module({
  imports: [EncryptionModule, AuditModule, AuthModule, ApiKeysModule, NotificationsModule],
  controllers: [ProfilesController],
  providers: [
    ProfilesRepository,
    ProfileCodec,
    ProfilesService,
    ProfilesCiphertextStore,
    ProfileExportService,
    RevealAuditor,
    ProfileErasureService,
  ],
  exports: [ProfilesService],
})
export class ProfilesModule {}
