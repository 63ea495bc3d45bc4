import type { SchemaParts } from '@app/core';
import { EncryptionCounterRow } from './entities/encryption-counter.entity';
import { CreateEncryptionCounters1763900400000 } from './migrations/1763900400000-CreateEncryptionCounters';

export { EncryptionModule } from './encryption.module';
export { PersistentEncryptionCounter } from './persistent-encryption-counter';
export { RewrapService } from './rewrap.service';
export type { RewrapState } from './rewrap.service';
export { KeyringAdminService } from './keyring-admin.service';

export const encryptionSchema: Partial<SchemaParts> = {
  entities: [EncryptionCounterRow],
  migrations: [CreateEncryptionCounters1763900400000],
  appendOnlyTables: [],
};
