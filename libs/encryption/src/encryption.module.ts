import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { CryptoModule, EncryptionCounter, Keyring } from '@app/crypto';
import { AppConfig, SecretStore } from '@app/core';
import { EncryptionController } from './encryption.controller';
import { EncryptionRepository } from './encryption.repository';
import { EncryptionService } from './encryption.service';
import { KeyringAdminService } from './keyring-admin.service';
import { RewrapService } from './rewrap.service';
import { PersistentEncryptionCounter } from './persistent-encryption-counter';

/** Composes libs/crypto with the product: keys from the secret store, counters in PostgreSQL, the HTTP API. */
const crypto = CryptoModule.register({
  // The product's one keyring and CryptoService: contexts that seal their own data (profiles) inject them directly.
  global: true,
  providers: [
    {
      provide: Keyring,
      inject: [SecretStore, AppConfig],
      useFactory: (secrets: SecretStore, config: AppConfig) =>
        Keyring.parse(secrets.require('ENCRYPTION_KEYS'), config.env.ENCRYPTION_MIN_DECRYPTION_VERSION),
    },
    // No RandomSource here: CryptoService takes the global one CoreModule provides (tests replace it in one place).
    EncryptionRepository,
    PersistentEncryptionCounter,
    { provide: EncryptionCounter, useExisting: PersistentEncryptionCounter },
  ],
  exports: [EncryptionRepository, PersistentEncryptionCounter],
});

@Module({
  imports: [crypto, AuditModule],
  controllers: [EncryptionController],
  providers: [EncryptionService, RewrapService, KeyringAdminService],
  exports: [crypto, RewrapService, KeyringAdminService],
})
export class EncryptionModule {}
