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
  /**
   * A sensitive action (design.md "Assurance"): a session must have proved its password recently (its
   * `authenticatedAt` at or after the `freshSinceMs` given to `evaluateAccess`), else RECENT_LOGIN_REQUIRED. An API key
   * carries no `authenticatedAt` and is not asked: the power it holds was granted by a session that had stepped up
   * when it minted the key (a key with a sensitive scope needs one, see AccessRules.sensitive).
   */
  readonly sensitive?: boolean;
  /**
   * A session whose user has not verified their email address yet may use the route (@AllowUnverifiedEmail: signing
   * out, reading /v1/me, the public profile, verifying). Absent everywhere else: a verified address is required,
   * unless REQUIRE_VERIFIED_EMAIL is off. An API key of an unverified owner is refused even here.
   */
  readonly unverifiedEmail?: boolean;
  /**
   * A session that must enrol a second factor first (Principal.mfaEnrolmentRequired) may use the route
   * (@AllowMfaEnrolment: enrolling, signing out, its sessions, /v1/me). Absent everywhere else: MFA_ENROLMENT_REQUIRED.
   */
  readonly mfaEnrolment?: boolean;
}

/** Whether `evaluateAccess` asks for a verified email address: REQUIRE_VERIFIED_EMAIL, read per instance. */
export type EmailVerification = 'required' | 'off';

const BOTH: readonly PrincipalKind[] = Object.freeze(['session', 'apiKey']);
const SESSION_ONLY: readonly PrincipalKind[] = Object.freeze(['session']);
const API_KEY_ONLY: readonly PrincipalKind[] = Object.freeze(['apiKey']);
const NONE: readonly string[] = Object.freeze([]);

function rule(
  authentication: AccessRule['authentication'],
  kinds: readonly PrincipalKind[],
  scopes: readonly string[],
  sensitive = false,
): AccessRule {
  const frozen = scopes.length ? Object.freeze([...scopes]) : NONE;
  return Object.freeze(
    sensitive ? { authentication, kinds, scopes: frozen, sensitive } : { authentication, kinds, scopes: frozen },
  );
}

/** The rules the decorators declare; also for code that asks the same question outside a route (key verification). */
export const AccessRules = {
  public: (): AccessRule => rule('none', BOTH, NONE),
  optional: (): AccessRule => rule('optional', BOTH, NONE),
  /** A session or an API key holding `scopes`. The default for a route that declares nothing. */
  principal: (scopes: readonly string[] = NONE): AccessRule => rule('required', BOTH, scopes),
  session: (scopes: readonly string[] = NONE): AccessRule => rule('required', SESSION_ONLY, scopes),
  apiKey: (scopes: readonly string[] = NONE): AccessRule => rule('required', API_KEY_ONLY, scopes),
  /**
   * A sensitive action by a principal holding `scopes`: a session must have authenticated recently. For the actions
   * whose sensitivity depends on the request's content (a new key's scopes, `?reveal=true`), asked by the service
   * through `assertAccess`; routes that are sensitive as a whole declare @SensitiveAction() instead.
   */
  sensitive: (scopes: readonly string[] = NONE): AccessRule => rule('required', BOTH, scopes, true),
};

/** Why a rule refuses a caller; `code` is the error code of the problem `accessProblem` builds from it. */
export type AccessDenial =
  | { readonly code: 'UNAUTHENTICATED' }
  | { readonly code: 'API_KEY_REQUIRED' }
  | { readonly code: 'SESSION_REQUIRED' }
  | { readonly code: 'INSUFFICIENT_SCOPES'; readonly required: readonly string[]; readonly missing: string[] }
  | { readonly code: 'RECENT_LOGIN_REQUIRED' }
  | { readonly code: 'EMAIL_NOT_VERIFIED' }
  | { readonly code: 'MFA_ENROLMENT_REQUIRED' }
  | { readonly code: 'SECOND_FACTOR_REQUIRED' };

const UNAUTHENTICATED: AccessDenial = Object.freeze({ code: 'UNAUTHENTICATED' });
const API_KEY_REQUIRED: AccessDenial = Object.freeze({ code: 'API_KEY_REQUIRED' });
const SESSION_REQUIRED: AccessDenial = Object.freeze({ code: 'SESSION_REQUIRED' });
const RECENT_LOGIN_REQUIRED: AccessDenial = Object.freeze({ code: 'RECENT_LOGIN_REQUIRED' });
const EMAIL_NOT_VERIFIED: AccessDenial = Object.freeze({ code: 'EMAIL_NOT_VERIFIED' });
const MFA_ENROLMENT_REQUIRED: AccessDenial = Object.freeze({ code: 'MFA_ENROLMENT_REQUIRED' });
const SECOND_FACTOR_REQUIRED: AccessDenial = Object.freeze({ code: 'SECOND_FACTOR_REQUIRED' });

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
 * Checks run from the cheapest to the most specific. After the scopes, a sensitive rule (design.md "Assurance")
 * asks a session for a recent authentication: `authenticatedAt` at or after `freshSinceMs`, the earliest instant the
 * step-up window accepts now (the guard and services read it from StepUpWindow: their Clock minus
 * STEP_UP_MAX_AGE_MINUTES). Without `freshSinceMs` a sensitive rule refuses every session (fail closed).
 * Beside it, the verified-email check (design.md "Assurance"): unless `emailVerification` is 'off'
 * (REQUIRE_VERIFIED_EMAIL=false; the default is 'required', fail closed) a principal whose user has not verified the
 * address is refused EMAIL_NOT_VERIFIED, except a session on a rule marked `unverifiedEmail`. It applies to admins
 * too (admin:all holds every scope, not a verified address) and to keys (a key acts for its owner as the owner is now).
 * Then the second-factor checks (issue 19): a session whose user must enrol a factor (MFA_REQUIRED_ROLES) is refused
 * MFA_ENROLMENT_REQUIRED except on a rule marked `mfaEnrolment`; and a sensitive rule asks a session whose user has a
 * factor for `aal2` (SECOND_FACTOR_REQUIRED), after the recency check.
 * Each is a check on the principal's facts, a denial code and its problem in access-problems.ts.
 * Allocation-free when the caller is admitted (this runs on every request).
 */
export function evaluateAccess(
  rule: AccessRule,
  caller: PrincipalKind | Principal | undefined,
  freshSinceMs?: number,
  emailVerification: EmailVerification = 'required',
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
  if (
    emailVerification !== 'off' &&
    caller.emailVerified !== true &&
    !(rule.unverifiedEmail && caller.kind === 'session')
  )
    return EMAIL_NOT_VERIFIED;
  if (caller.mfaEnrolmentRequired === true && caller.kind === 'session' && !rule.mfaEnrolment)
    return MFA_ENROLMENT_REQUIRED;
  if (rule.sensitive && caller.kind === 'session') {
    if (!authenticatedSince(caller, freshSinceMs)) return RECENT_LOGIN_REQUIRED;
    if (caller.hasSecondFactor === true && caller.aal !== 'aal2') return SECOND_FACTOR_REQUIRED;
  }
  return undefined;
}

/** The session proved its password at or after `freshSinceMs` (unknown either way: no). */
function authenticatedSince(caller: Principal, freshSinceMs: number | undefined): boolean {
  return (
    freshSinceMs !== undefined &&
    caller.authenticatedAt !== undefined &&
    caller.authenticatedAt.getTime() >= freshSinceMs
  );
}
