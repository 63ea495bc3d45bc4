import type { FastifyRequest } from 'fastify';

export type Role = 'user' | 'admin';

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
}

export type RequestWithPrincipal = FastifyRequest & { principal?: Principal };

export function principalOf(request: FastifyRequest): Principal | undefined {
  return (request as RequestWithPrincipal).principal;
}
