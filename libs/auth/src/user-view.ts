import type { UserView } from './dto/user.response';
import type { User } from './entities/user.entity';

/** The user as the API shows it (no secrets: no hash, no factor). */
export function userView(u: User): UserView {
  return {
    id: u.id,
    email: u.email,
    username: u.username,
    role: u.role,
    scopes: u.scopes,
    emailVerified: !!u.emailVerifiedAt,
    mfaEnabled: u.mfaEnabled === true,
    passwordChangedAt: u.passwordChangedAt.toISOString(),
    createdAt: u.createdAt.toISOString(),
  };
}
