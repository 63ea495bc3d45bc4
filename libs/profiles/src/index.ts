import type { SchemaParts } from '@app/core';
import { Profile } from './entities/profile.entity';
import { CreateProfiles1763900500000 } from './migrations/1763900500000-CreateProfiles';

export { ProfilesModule } from './profiles.module';
export { ProfilesService, RECENT_LOGIN_MS } from './profiles.service';
export type { ProfileView } from './profiles.service';
export { ProfilesErrorCode } from './profiles-error-codes';
export { luhnValid } from './dto/profile.dto';

export const profilesSchema: Partial<SchemaParts> = {
  entities: [Profile],
  migrations: [CreateProfiles1763900500000],
  appendOnlyTables: [],
};
