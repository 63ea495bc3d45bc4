import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CoreErrorCode, CoreException } from '../errors/core-error-codes';

import { CredentialResolvers, PresentedCredential } from './credential-resolvers';
import { RequestWithPrincipal } from './principal';
import { routeRule } from './route-access';

export function presentedCredential(request: FastifyRequest): PresentedCredential | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && auth.length) {
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(auth);
    if (!match) throw new CoreException(CoreErrorCode.UNAUTHENTICATED, 'Use "Authorization: Bearer <token>".');
    return { value: match[1], via: 'authorization' };
  }
  const key = request.headers['x-api-key'];
  if (typeof key === 'string' && key.length) return { value: key.slice(0, 512), via: 'x-api-key' };
  return undefined;
}

/**
 * The first global guard: every route needs a principal unless marked @Public(). The presented credential (a
 * session token or an API key) is handed to the resolver that accepts it; the ScopesGuard then checks the route's
 * access rule.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly resolvers: CredentialResolvers,
  ) {}

  /** Synchronous when the resolver answers from memory (a cached API key): no promise per request then. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    // Public routes (login, health, metrics with its own token) never look at credentials: a stale token must not
    // block a login, and the metrics bearer token is not a session.
    const rule = routeRule(this.reflector, context);
    if (rule.isPublic) return true;
    const credential = presentedCredential(request);
    if (!credential && rule.optional) return true;
    if (!credential) throw new CoreException(CoreErrorCode.UNAUTHENTICATED, 'Sign in or present an API key.');
    const resolver = this.resolvers.find(credential);
    if (!resolver) throw new CoreException(CoreErrorCode.UNAUTHENTICATED, 'The credential is not valid.');
    const principal = resolver.resolve(credential, request, context.switchToHttp().getResponse<FastifyReply>(), {
      requiredScopes: rule.requiredScopes,
      requiresSession: rule.requiresSession,
    });
    if (!(principal instanceof Promise)) {
      request.principal = principal;
      return true;
    }
    return principal.then((p) => {
      request.principal = p;
      return true;
    });
  }
}
