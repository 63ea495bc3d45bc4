import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { CoreErrorCode } from '../errors/core-error-codes';
import { DomainException } from '../errors/domain.exception';
import { IS_PUBLIC } from '../http/public.decorator';
import { CredentialResolvers, PresentedCredential } from './credential-resolvers';
import { RequestWithPrincipal } from './principal';
import { missingScopes } from './scopes';
import { REQUIRED_SCOPES } from './require-scopes.decorator';

export function presentedCredential(request: FastifyRequest): PresentedCredential | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && auth.length) {
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(auth);
    if (!match) throw new DomainException(CoreErrorCode.UNAUTHENTICATED, 'Use "Authorization: Bearer <token>".');
    return { value: match[1], via: 'authorization' };
  }
  const key = request.headers['x-api-key'];
  if (typeof key === 'string' && key.length) return { value: key.slice(0, 512), via: 'x-api-key' };
  return undefined;
}

/**
 * The global guard: every route needs a principal unless marked @Public(); then the route's @RequireScopes are
 * checked against the principal's scopes (admin:all satisfies any).
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly resolvers: CredentialResolvers,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    const targets = [context.getHandler(), context.getClass()];
    // Public routes (login, health, metrics with its own token) never look at credentials: a stale token must not
    // block a login, and the metrics bearer token is not a session.
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const credential = presentedCredential(request);
    if (!credential) throw new DomainException(CoreErrorCode.UNAUTHENTICATED, 'Sign in or present an API key.');
    const resolver = this.resolvers.find(credential);
    if (!resolver) throw new DomainException(CoreErrorCode.UNAUTHENTICATED, 'The credential is not valid.');
    request.principal = await resolver.resolve(credential, request);
    const required = this.reflector.getAllAndMerge<string[]>(REQUIRED_SCOPES, targets) ?? [];
    const missing = missingScopes(request.principal.scopes, required);
    if (missing.length) {
      throw new DomainException(CoreErrorCode.INSUFFICIENT_SCOPES, `Missing scope(s): ${missing.join(', ')}`, {
        requiredScopes: required,
        heldScopes: request.principal.scopes,
      });
    }
    return true;
  }
}
