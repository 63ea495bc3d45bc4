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
  /** When the session's login happened (for "recent login" checks). */
  authenticatedAt?: Date;
}

export type RequestWithPrincipal = FastifyRequest & { principal?: Principal };

export function principalOf(request: FastifyRequest): Principal | undefined {
  return (request as RequestWithPrincipal).principal;
}
