import type { FastifyRequest } from 'fastify';

export type Role = 'user' | 'admin';
export type Aal = 'aal1' | 'aal2';

/** Who is making a request: a person's session or a machine's API key, resolved to one shape. */
export interface Principal {
  kind: 'session' | 'apiKey';
  userId: string;
  role: Role;
  scopes: string[];
  sessionId?: string;
  keyId?: string;
  /**
   * The user's email address is verified, read when the credential is resolved (a key reads its owner's current
   * state, like its scopes). Without it only the routes marked @AllowUnverifiedEmail admit a session.
   */
  emailVerified: boolean;
  /** When the session's login happened (for "recent login" checks). */
  authenticatedAt?: Date;
  /**
   * Authenticator assurance of a session (design.md "Assurance"): `aal1` password only, `aal2` password and a second
   * factor. Absent for keys.
   */
  aal?: Aal;
  /** When the session last proved a second factor (login with a factor, or reauthenticate with one). */
  secondFactorAt?: Date;
  /** The user has a second factor enrolled (read with the credential): sensitive actions then need `aal2`. */
  hasSecondFactor?: boolean;
  /**
   * The user's role must have a second factor (MFA_REQUIRED_ROLES) and has none: the session may only use the routes
   * marked @AllowMfaEnrolment (enrol one, sign out, …); elsewhere 403 MFA_ENROLMENT_REQUIRED.
   */
  mfaEnrolmentRequired?: boolean;
}

export type RequestWithPrincipal = FastifyRequest & { principal?: Principal };

export function principalOf(request: FastifyRequest): Principal | undefined {
  return (request as RequestWithPrincipal).principal;
}
