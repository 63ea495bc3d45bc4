import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from './principal';

/** A presented credential: the bearer token or the X-API-Key header value. */
export interface PresentedCredential {
  value: string;
  via: 'authorization' | 'x-api-key';
}

export interface RouteAccess {
  requiredScopes: string[];
  /** The route is for people only: a key is refused before it spends rate limit or quota. */
  requiresSession: boolean;
}

/**
 * Turns a credential into a principal. Each bounded context that issues credentials (sessions, API keys) registers
 * one; the first that `accepts` a credential decides it (and throws a DomainException when it is invalid).
 */
export interface CredentialResolver {
  accepts(credential: PresentedCredential): boolean;
  /**
   * May set response headers (rate-limit state, a key in its grace period) on `reply`. `route` says what the route
   * needs, so a resolver can refuse before spending anything (a key's quota) on a request that would be refused.
   */
  resolve(
    credential: PresentedCredential,
    request: FastifyRequest,
    reply: FastifyReply,
    route: RouteAccess,
  ): Principal | Promise<Principal>;
}

@Injectable()
export class CredentialResolvers {
  private readonly resolvers: CredentialResolver[] = [];

  register(resolver: CredentialResolver): void {
    this.resolvers.push(resolver);
  }

  find(credential: PresentedCredential): CredentialResolver | undefined {
    return this.resolvers.find((r) => r.accepts(credential));
  }
}
