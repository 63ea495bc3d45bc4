import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { EncryptionModule } from '@app/encryption';
import { ProfileCodec } from './profile-codec';
import { ProfilesCiphertextStore } from './profiles-ciphertext.store';
import { ProfilesController } from './profiles.controller';
import { ProfilesRepository } from './profiles.repository';
import { ProfilesService } from './profiles.service';

@Module({
  imports: [EncryptionModule, AuditModule],
  controllers: [ProfilesController],
  providers: [ProfilesRepository, ProfileCodec, ProfilesService, ProfilesCiphertextStore],
  exports: [ProfilesService],
})
export class ProfilesModule {}
