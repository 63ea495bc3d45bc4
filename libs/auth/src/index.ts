import type { SchemaParts } from '@app/core';
import { EmailToken } from './entities/email-token.entity';
import { LoginDecoy } from './entities/login-decoy.entity';
import { LoginThrottle } from './entities/login-throttle.entity';
import { Session } from './entities/session.entity';
import { User } from './entities/user.entity';
import { CreateAuth1763900200000 } from './migrations/1763900200000-CreateAuth';
import { LoginDecoys1763900900000 } from './migrations/1763900900000-LoginDecoys';
import { SessionAuthenticatedAt1763901170000 } from './migrations/1763901170000-SessionAuthenticatedAt';

export { AuthModule } from './auth.module';
export { AuthService } from './auth.service';
export { SessionsService } from './sessions.service';
export { AdminUsersService } from './admin-users.service';
export type { ImportedUser } from './admin-users.service';
export { PasswordHasher } from './password/password-hasher';

export const authSchema: Partial<SchemaParts> = {
  entities: [User, Session, EmailToken, LoginThrottle, LoginDecoy],
  migrations: [CreateAuth1763900200000, LoginDecoys1763900900000, SessionAuthenticatedAt1763901170000],
  appendOnlyTables: [],
};
export { calibrateArgon2 } from './password/calibrate';
