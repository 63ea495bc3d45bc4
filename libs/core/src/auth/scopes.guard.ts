import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CoreErrorCode, CoreException } from '../errors/core-error-codes';

import { RequestWithPrincipal } from './principal';
import { routeRule } from './route-access';
import { missingScopes } from './scopes';

/**
 * The second global guard: the route's access rule against the principal the AuthenticationGuard resolved. Scopes
 * from @RequireScopes (admin:all satisfies any); @RequireSession refuses API keys.
 */
@Injectable()
export class ScopesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
    const rule = routeRule(this.reflector, context);
    if (!principal) {
      // Public and optional-authentication routes run without one; a route-level guard (ApiKeyGuard) checks its own
      // principal against the same rule. Anything else without a principal is refused, never let through.
      if (rule.isPublic || (rule.optional && !rule.requiredScopes.length && !rule.requiresSession)) return true;
      throw new CoreException(CoreErrorCode.UNAUTHENTICATED, 'Sign in or present an API key.');
    }
    if (rule.requiresSession && principal.kind !== 'session') {
      throw new CoreException(CoreErrorCode.SESSION_REQUIRED, 'This action needs a signed-in person, not an API key.');
    }
    const required = rule.requiredScopes;
    const missing = required.length ? missingScopes(principal.scopes, required) : required;
    if (missing.length) {
      throw new CoreException(CoreErrorCode.INSUFFICIENT_SCOPES, `Missing scope(s): ${missing.join(', ')}`, {
        requiredScopes: required,
        heldScopes: principal.scopes,
      });
    }
    return true;
  }
}
