import { Module } from '@nestjs/common';
import { ApiKeysModule } from '@app/api-keys';
import { AuditModule } from '@app/audit';
import { AuthModule } from '@app/auth';
import { EncryptionModule } from '@app/encryption';
import { ProfileCodec } from './profile-codec';
import { ProfileExportService } from './profile-export.service';
import { ProfilesCiphertextStore } from './profiles-ciphertext.store';
import { ProfilesController } from './profiles.controller';
import { ProfilesRepository } from './profiles.repository';
import { ProfilesService } from './profiles.service';
import { RevealAuditor } from './reveal-auditor';

@Module({
  imports: [EncryptionModule, AuditModule, AuthModule, ApiKeysModule],
  controllers: [ProfilesController],
  providers: [ProfilesRepository, ProfileCodec, ProfilesService, ProfilesCiphertextStore, ProfileExportService, RevealAuditor],
  exports: [ProfilesService],
})
export class ProfilesModule {}
