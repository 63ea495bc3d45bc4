import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CoreErrorCode, CoreException } from '../errors/core-error-codes';
import { accessProblem, ambiguousCredentials } from './access-problems';
import { AccessRule, AccessRules, evaluateAccess } from './access-rule';
import {
  ACCESS_RULE,
  ALLOW_MFA_ENROLMENT,
  ALLOW_UNVERIFIED_EMAIL,
  SCOPES_HEADER,
  SENSITIVE_ACTION,
} from './access.decorators';
import { CredentialResolvers, PresentedCredential } from './credential-resolvers';
import { Principal, RequestWithPrincipal } from './principal';
import { StepUpWindow } from './step-up-window';

/** `name` equals `lower` ignoring ASCII case, without allocating (header names arrive in the client's casing). */
function isHeader(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** The non-empty members of a comma-separated header value. */
function listMembers(value: string): number {
  if (!value.includes(',')) return value.length ? 1 : 0;
  let members = 0;
  let inMember = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 44)
      inMember = false; // ','
    else if (c !== 32 && c !== 9 && !inMember) {
      inMember = true;
      members++;
    }
  }
  return members;
}

/**
 * More than one credential in the request's header lines: each non-empty Authorization line counts, and each member
 * of an X-API-Key line (a proxy may join repeated lines with commas, RFC 9110 §5.3; a key never holds a comma). Read
 * from the raw lines because `headers` hides repetition: Node keeps only the first of repeated Authorization lines
 * and joins repeated X-API-Key lines with ", ". Allocation-free (this runs on every guarded request).
 */
export function presentsSeveralCredentials(rawHeaders: readonly string[]): boolean {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (isHeader(name, 'authorization')) count += rawHeaders[i + 1].length ? 1 : 0;
    else if (isHeader(name, 'x-api-key')) count += listMembers(rawHeaders[i + 1]);
    if (count > 1) return true;
  }
  return false;
}

/**
 * The one credential a request presents, undefined when none; 400 AMBIGUOUS_CREDENTIALS when it presents more than
 * one, whatever each holds (a session and a key, a key twice, the same key twice): no guess is made as to whom the
 * request acts for, and nothing is looked up, spent or audited.
 */
export function presentedCredential(request: FastifyRequest): PresentedCredential | undefined {
  if (presentsSeveralCredentials(request.raw.rawHeaders)) throw ambiguousCredentials();
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
    if (reflector.getAllAndOverride<boolean | undefined>(SENSITIVE_ACTION, [handler, context.getClass()]))
      rule = { ...rule, sensitive: true };
    if (reflector.getAllAndOverride<boolean | undefined>(ALLOW_UNVERIFIED_EMAIL, [handler, context.getClass()]))
      rule = { ...rule, unverifiedEmail: true };
    if (reflector.getAllAndOverride<boolean | undefined>(ALLOW_MFA_ENROLMENT, [handler, context.getClass()]))
      rule = { ...rule, mfaEnrolment: true };
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
 * route's scopes is refused before it spends its rate limit or quota; it asks the same function. A sensitive route's
 * rule is asked with the step-up window's reading of the clock; every rule with REQUIRE_VERIFIED_EMAIL.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly resolvers: CredentialResolvers,
    private readonly stepUp: StepUpWindow,
  ) {}

  /** Synchronous when the resolver answers from memory (a cached API key): no promise per request then. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    let rule = routeRule(this.reflector, context);
    // Public routes (login, health, metrics with its own token) never look at credentials, not even to count them: a
    // stale token must not block a login, and the metrics bearer token is not a session.
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
    if (!(principal instanceof Promise)) return this.admit(rule, principal, request);
    return principal.then((p) => this.admit(rule, p, request));
  }

  private admit(rule: AccessRule, principal: Principal, request: RequestWithPrincipal): true {
    const denial = evaluateAccess(
      rule,
      principal,
      rule.sensitive ? this.stepUp.since() : undefined,
      this.stepUp.emailVerification,
    );
    if (denial) throw accessProblem(denial, principal.scopes);
    request.principal = principal;
    return true;
  }
}
