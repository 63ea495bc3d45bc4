import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccessRule, PrincipalKind } from './access-rule';
import type { Principal } from './principal';

/** A presented credential: the bearer token or the X-API-Key header value. */
export interface PresentedCredential {
  value: string;
  via: 'authorization' | 'x-api-key';
}

/**
 * Turns a credential into a principal. Each bounded context that issues credentials (sessions, API keys) registers
 * one; the first that `accepts` a credential decides it (and throws a DomainException when it is invalid).
 */
export interface CredentialResolver {
  /** The kind of principal this resolver yields: the guard checks it against the route's rule before `resolve`. */
  readonly kind: PrincipalKind;
  accepts(credential: PresentedCredential): boolean;
  /**
   * May set response headers (rate-limit state, a key in its grace period) on `reply`. `rule` is the route's, so a
   * resolver can refuse before spending anything (a key's quota) on a request the rule refuses; it asks
   * `evaluateAccess`, never decides the rule itself. The guard evaluates the rule against the principal anyway.
   */
  resolve(
    credential: PresentedCredential,
    request: FastifyRequest,
    reply: FastifyReply,
    rule: AccessRule,
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
