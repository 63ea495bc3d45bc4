import { ADMIN_SCOPE } from './scopes';
import type { Principal } from './principal';

export type PrincipalKind = Principal['kind'];

/**
 * A route's access rule, declared by one decorator of the family in access.decorators.ts and decided by
 * `evaluateAccess`, nowhere else.
 */
export interface AccessRule {
  /**
   * `none`: credentials are never looked at (login, health: a stale token must not block a login); `optional`: one
   * presented is verified like anywhere else, none means an anonymous request; `required`: a principal is needed.
   */
  readonly authentication: 'none' | 'optional' | 'required';
  /** The kinds of principal the route admits: both, people only (@RequireSession) or machines only (@RequireApiKey). */
  readonly kinds: readonly PrincipalKind[];
  /** Scopes the principal must hold (`admin:all` holds every scope). */
  readonly scopes: readonly string[];
  /**
   * A request header naming further scopes, space- or comma-separated (introspection: nginx asks for the scopes of
   * the upstream it guards, `proxy_set_header X-Required-Scopes "profiles:read";`).
   */
  readonly scopesHeader?: string;
}

const BOTH: readonly PrincipalKind[] = Object.freeze(['session', 'apiKey']);
const SESSION_ONLY: readonly PrincipalKind[] = Object.freeze(['session']);
const API_KEY_ONLY: readonly PrincipalKind[] = Object.freeze(['apiKey']);
const NONE: readonly string[] = Object.freeze([]);

function rule(
  authentication: AccessRule['authentication'],
  kinds: readonly PrincipalKind[],
  scopes: readonly string[],
) {
  return Object.freeze({ authentication, kinds, scopes: scopes.length ? Object.freeze([...scopes]) : NONE });
}

/** The rules the decorators declare; also for code that asks the same question outside a route (key verification). */
export const AccessRules = {
  public: (): AccessRule => rule('none', BOTH, NONE),
  optional: (): AccessRule => rule('optional', BOTH, NONE),
  /** A session or an API key holding `scopes`. The default for a route that declares nothing. */
  principal: (scopes: readonly string[] = NONE): AccessRule => rule('required', BOTH, scopes),
  session: (scopes: readonly string[] = NONE): AccessRule => rule('required', SESSION_ONLY, scopes),
  apiKey: (scopes: readonly string[] = NONE): AccessRule => rule('required', API_KEY_ONLY, scopes),
};

/** Why a rule refuses a caller; `code` is the error code of the problem `accessProblem` builds from it. */
export type AccessDenial =
  | { readonly code: 'UNAUTHENTICATED' }
  | { readonly code: 'API_KEY_REQUIRED' }
  | { readonly code: 'SESSION_REQUIRED' }
  | { readonly code: 'INSUFFICIENT_SCOPES'; readonly required: readonly string[]; readonly missing: string[] };

const UNAUTHENTICATED: AccessDenial = Object.freeze({ code: 'UNAUTHENTICATED' });
const API_KEY_REQUIRED: AccessDenial = Object.freeze({ code: 'API_KEY_REQUIRED' });
const SESSION_REQUIRED: AccessDenial = Object.freeze({ code: 'SESSION_REQUIRED' });

/** The one scope comparison: `held` grants `scope` when it names it or holds `admin:all` (which holds every scope). */
export function holdsScope(held: readonly string[], scope: string): boolean {
  return held.includes(scope) || held.includes(ADMIN_SCOPE);
}

/**
 * The one place an access rule is decided: undefined when `caller` may proceed, otherwise why not. `caller` is what
 * is known so far:
 * - undefined: no credential was presented;
 * - a kind: a credential of that kind was presented and is not resolved yet (the guard asks before any lookup, so a
 *   key on a people-only route is refused before it is looked up or spends anything);
 * - the principal: everything is checked.
 *
 * Checks run from the cheapest to the most specific. Later ones (a verified email, a recent authentication, `aal2`
 * for sensitive actions; design.md "Assurance") slot in after the scopes: a rule field that asks for them (set by a
 * decorator of the family), a check on the principal's facts here, a denial code and its problem in
 * access-problems.ts. A recent-authentication check also needs the time: the guard passes its Clock's reading as a
 * third argument. Resolvers and the guard's flow do not change.
 * Allocation-free when the caller is admitted (this runs on every request).
 */
export function evaluateAccess(
  rule: AccessRule,
  caller: PrincipalKind | Principal | undefined,
): AccessDenial | undefined {
  if (rule.authentication === 'none') return undefined;
  if (caller === undefined) {
    if (rule.authentication === 'optional') return undefined;
    return rule.kinds.includes('session') ? UNAUTHENTICATED : API_KEY_REQUIRED;
  }
  const kind = typeof caller === 'string' ? caller : caller.kind;
  if (!rule.kinds.includes(kind)) return kind === 'apiKey' ? SESSION_REQUIRED : API_KEY_REQUIRED;
  if (typeof caller === 'string') return undefined;
  let missing: string[] | undefined;
  for (const scope of rule.scopes) if (!holdsScope(caller.scopes, scope)) (missing ??= []).push(scope);
  if (missing) return { code: 'INSUFFICIENT_SCOPES', required: rule.scopes, missing };
  return undefined;
}
