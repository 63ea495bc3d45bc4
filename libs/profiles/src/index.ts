import type { SchemaParts } from '@app/core';
import { Profile } from './entities/profile.entity';
import { CreateProfiles1763900500000 } from './migrations/1763900500000-CreateProfiles';

export { ProfilesModule } from './profiles.module';

export const profilesSchema: Partial<SchemaParts> = {
  entities: [Profile],
  migrations: [CreateProfiles1763900500000],
  appendOnlyTables: [],
};
