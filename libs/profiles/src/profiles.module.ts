import { Module } from '@nestjs/common';
import { ProfileCodec } from './profile-codec';
import { ProfileErasureService } from './profile-erasure.service';
import { ProfileExportService } from './profile-export.service';
import { ProfilesAccountData } from './profiles.account-data';
import { ProfilesCiphertextStore } from './profiles-ciphertext.store';
import { ProfilesController } from './profiles.controller';
import { ProfilesRepository } from './profiles.repository';
import { ProfilesService } from './profiles.service';
import { RevealAuditor } from './reveal-auditor';

/**
 * Imports no other context: CryptoService and the Keyring come from the product's one (global) crypto composition,
 * AuditTrail, AccountData and CiphertextStores from core; export and erasure reach the other contexts through
 * AccountData, where each registers its own part.
 */
@Module({
  controllers: [ProfilesController],
  providers: [
    ProfilesRepository,
    ProfileCodec,
    ProfilesService,
    ProfilesCiphertextStore,
    ProfilesAccountData,
    ProfileExportService,
    RevealAuditor,
    ProfileErasureService,
  ],
  exports: [ProfilesService],
})
export class ProfilesModule {}
