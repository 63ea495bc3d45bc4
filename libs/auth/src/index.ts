import type { SchemaParts } from '@app/core';
import { EmailToken } from './entities/email-token.entity';
import { DeviceToken } from './entities/device-token.entity';
import { KnownSource } from './entities/known-source.entity';
import { LoginAttempt } from './entities/login-attempt.entity';
import { LoginThrottle } from './entities/login-throttle.entity';
import { Session } from './entities/session.entity';
import { User } from './entities/user.entity';
import { CreateAuth1763900200000 } from './migrations/1763900200000-CreateAuth';
import { LoginDecoys1763900900000 } from './migrations/1763900900000-LoginDecoys';
import { SessionAuthenticatedAt1763901170000 } from './migrations/1763901170000-SessionAuthenticatedAt';
import { LockoutPerSource1763901300000 } from './migrations/1763901300000-LockoutPerSource';
import { EmailChange1763901400000 } from './migrations/1763901400000-EmailChange';
import { SecondFactorAssurance1763901900000 } from './migrations/1763901900000-SecondFactorAssurance';

export { AuthModule } from './auth.module';
export { AuthService } from './auth.service';
export { AuthErrorCode, AuthException } from './auth-error-codes';
export { SessionsService } from './sessions.service';
export { AdminUsersService } from './admin-users.service';
export type { ImportedUser } from './admin-users.service';
export { UserAdministrationService } from './user-administration.service';
export { EmailChangeService } from './email-change.service';
export { ChangeEmailDto, ListUsersQueryDto } from './dto/admin-users.dto';
export { DeviceTokenField } from './dto/auth.dto';
export type { AdminUserDetailView, AdminUserView } from './dto/admin-user.response';
export { PasswordHasher } from './password/password-hasher';
export { HashThreads } from './password/hash-threads';
export { LoginLockout, addressHash } from './lockout/login-lockout.service';
export type { AttemptSource, LockoutSubject, LockoutVerdict } from './lockout/login-lockout.service';
export { networkOf } from './lockout/source-key';
export { signInClient } from './lockout/device-cookie';

export { SecondFactorGates } from './second-factor-gates';
export type { PasswordStep, SecondFactorChallenge, SecondFactorGate, SecondFactorProof } from './second-factor-gates';
export { SecondFactorLogin } from './second-factor-login.service';
export { LoginView, SecondFactorChallengeView, UserView } from './dto/user.response';
export type { ClientInfo } from './login-flow.service';
export { User } from './entities/user.entity';

export const authSchema: Partial<SchemaParts> = {
  entities: [User, Session, EmailToken, LoginThrottle, LoginAttempt, DeviceToken, KnownSource],
  migrations: [
    CreateAuth1763900200000,
    LoginDecoys1763900900000,
    SessionAuthenticatedAt1763901170000,
    LockoutPerSource1763901300000,
    EmailChange1763901400000,
    SecondFactorAssurance1763901900000,
  ],
  appendOnlyTables: [],
};
export { calibrateArgon2 } from './password/calibrate';
