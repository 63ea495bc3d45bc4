import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CoreErrorCode, CoreException } from '../errors/core-error-codes';
import { accessProblem } from './access-problems';
import { AccessRule, AccessRules, evaluateAccess } from './access-rule';
import { ACCESS_RULE, SCOPES_HEADER } from './access.decorators';
import { CredentialResolvers, PresentedCredential } from './credential-resolvers';
import { Principal, RequestWithPrincipal } from './principal';

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

const DEFAULT_RULE = AccessRules.principal();
const rules = new WeakMap<object, AccessRule>();

/**
 * The rule of a route handler, read once and kept (decorators cannot change at run time; guards run on every
 * request). The method's rule wins over its controller's, and the scopes of both are required.
 */
export function routeRule(reflector: Reflector, context: ExecutionContext): AccessRule {
  const handler = context.getHandler();
  let rule = rules.get(handler);
  if (!rule) {
    const onMethod = reflector.get<AccessRule | undefined>(ACCESS_RULE, handler);
    const onClass = reflector.get<AccessRule | undefined>(ACCESS_RULE, context.getClass());
    rule = onMethod ?? onClass ?? DEFAULT_RULE;
    if (onMethod && onClass) rule = { ...onMethod, scopes: [...new Set([...onClass.scopes, ...onMethod.scopes])] };
    const scopesHeader = reflector.getAllAndOverride<string | undefined>(SCOPES_HEADER, [handler, context.getClass()]);
    if (scopesHeader) rule = { ...rule, scopesHeader };
    rules.set(handler, Object.freeze(rule));
  }
  return rule;
}

/** The rule plus the scopes the request's scopes header asks for (at most 20). */
function withRequestedScopes(rule: AccessRule, request: FastifyRequest): AccessRule {
  const header = request.headers[rule.scopesHeader!];
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  const requested = value
    .split(/[\s,]+/)
    .filter(Boolean)
    .slice(0, 20);
  return requested.length ? { ...rule, scopes: [...rule.scopes, ...requested] } : rule;
}

/**
 * The one global guard: resolves the principal and has the route's rule decided by `evaluateAccess`, asked as more
 * becomes known: with the kind of credential presented, before any lookup (a key on a people-only route is refused
 * before it spends anything), then with the principal. The resolver is given the rule too, so a key without the
 * route's scopes is refused before it spends its rate limit or quota; it asks the same function.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly resolvers: CredentialResolvers,
  ) {}

  /** Synchronous when the resolver answers from memory (a cached API key): no promise per request then. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    let rule = routeRule(this.reflector, context);
    // Public routes (login, health, metrics with its own token) never look at credentials: a stale token must not
    // block a login, and the metrics bearer token is not a session.
    if (rule.authentication === 'none') return true;
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    if (rule.scopesHeader) rule = withRequestedScopes(rule, request);
    const credential = presentedCredential(request);
    const resolver = credential && this.resolvers.find(credential);
    if (credential && !resolver) throw new CoreException(CoreErrorCode.UNAUTHENTICATED, 'The credential is not valid.');
    const early = evaluateAccess(rule, resolver?.kind);
    if (early) throw accessProblem(early);
    if (!credential || !resolver) return true;
    const principal = resolver.resolve(credential, request, context.switchToHttp().getResponse<FastifyReply>(), rule);
    if (!(principal instanceof Promise)) return admit(rule, principal, request);
    return principal.then((p) => admit(rule, p, request));
  }
}

function admit(rule: AccessRule, principal: Principal, request: RequestWithPrincipal): true {
  const denial = evaluateAccess(rule, principal);
  if (denial) throw accessProblem(denial, principal.scopes);
  request.principal = principal;
  return true;
}
