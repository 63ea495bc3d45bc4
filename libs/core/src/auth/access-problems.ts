import { CoreErrorCode, CoreException } from '../errors/core-error-codes';
import { AccessDenial, AccessRule, EmailVerification, evaluateAccess } from './access-rule';
import type { Principal } from './principal';

/** No credential where the route needs one (a session or a key). */
export function unauthenticated(): CoreException {
  return new CoreException(CoreErrorCode.UNAUTHENTICATED, 'Sign in or present an API key.');
}

/** No credential, or a session, where the route takes API keys only. */
export function apiKeyRequired(): CoreException {
  return new CoreException(
    CoreErrorCode.API_KEY_REQUIRED,
    'Present an API key (Authorization: Bearer sk_… or X-API-Key).',
  );
}

/**
 * More than one credential (Authorization and X-API-Key together, either header twice): which one the request acts
 * as would be a guess, so none is looked up.
 */
export function ambiguousCredentials(): CoreException {
  return new CoreException(
    CoreErrorCode.AMBIGUOUS_CREDENTIALS,
    'Present one credential: Authorization or X-API-Key, once, not both.',
  );
}

/** An API key where the route is for people only. */
export function sessionRequired(): CoreException {
  return new CoreException(CoreErrorCode.SESSION_REQUIRED, 'This action needs a signed-in person, not an API key.');
}

/**
 * The credential lacks a scope: `requiredScopes` are all the scopes the operation needs, `heldScopes` what the
 * credential holds; `headers` carries what a key's answer always carries (its grace period).
 */
export function insufficientScopes(
  required: readonly string[],
  missing: readonly string[],
  held: readonly string[],
  headers?: Record<string, string>,
): CoreException {
  return new CoreException(CoreErrorCode.INSUFFICIENT_SCOPES, `Missing scope(s): ${missing.join(', ')}`, {
    requiredScopes: required,
    heldScopes: held,
    headers,
  });
}

/** How a session renews its recent authentication (named in the RECENT_LOGIN_REQUIRED problem). */
export const REAUTHENTICATE = 'POST /v1/auth/reauthenticate';

/** A sensitive action from a session that last proved its password before the step-up window. */
export function recentLoginRequired(): CoreException {
  return new CoreException(
    CoreErrorCode.RECENT_LOGIN_REQUIRED,
    `This is a sensitive action: confirm your password with ${REAUTHENTICATE} {"password": …}, then try again.`,
    { reauthenticate: REAUTHENTICATE },
  );
}

/** How an account gets a new verification mail (named in the EMAIL_NOT_VERIFIED problem). */
export const RESEND_VERIFICATION = 'POST /v1/auth/email/resend';

/** A principal whose user has not verified the email address, on a route that needs a verified one. */
export function emailNotVerified(): CoreException {
  return new CoreException(
    CoreErrorCode.EMAIL_NOT_VERIFIED,
    `Verify your email address first: follow the link in the verification mail (a new one: ${RESEND_VERIFICATION}), then try again.`,
    { resendVerification: RESEND_VERIFICATION },
  );
}

/** Where a session enrols its first second factor (named in the MFA_ENROLMENT_REQUIRED problem). */
export const ENROL_FACTOR = 'POST /v1/auth/mfa/totp';

/** A session of a user who must have a second factor (MFA_REQUIRED_ROLES) and has none, off the enrolment routes. */
export function mfaEnrolmentRequired(): CoreException {
  return new CoreException(
    CoreErrorCode.MFA_ENROLMENT_REQUIRED,
    `Your role needs a second factor: enrol one (${ENROL_FACTOR}, then its /confirm), then sign in again or reauthenticate with it.`,
    { enrol: ENROL_FACTOR },
  );
}

/** A sensitive action from an aal1 session of a user who has a second factor. */
export function secondFactorRequired(): CoreException {
  return new CoreException(
    CoreErrorCode.SECOND_FACTOR_REQUIRED,
    `This is a sensitive action: prove your second factor with ${REAUTHENTICATE} {"totp": …} (or a recovery code or passkey), then try again.`,
    { reauthenticate: REAUTHENTICATE },
  );
}

/** The problem for a denial from `evaluateAccess`. */
export function accessProblem(
  denial: AccessDenial,
  held: readonly string[] = [],
  headers?: Record<string, string>,
): CoreException {
  switch (denial.code) {
    case 'UNAUTHENTICATED':
      return unauthenticated();
    case 'API_KEY_REQUIRED':
      return apiKeyRequired();
    case 'SESSION_REQUIRED':
      return sessionRequired();
    case 'INSUFFICIENT_SCOPES':
      return insufficientScopes(denial.required, denial.missing, held, headers);
    case 'RECENT_LOGIN_REQUIRED':
      return recentLoginRequired();
    case 'EMAIL_NOT_VERIFIED':
      return emailNotVerified();
    case 'MFA_ENROLMENT_REQUIRED':
      return mfaEnrolmentRequired();
    case 'SECOND_FACTOR_REQUIRED':
      return secondFactorRequired();
  }
}

/**
 * For a rule that depends on the request's content (`?reveal=true` needs a further scope, a key with a sensitive
 * scope a recent authentication): throws when refused. A sensitive rule needs `freshSinceMs` (StepUpWindow.since());
 * `emailVerification` is REQUIRE_VERIFIED_EMAIL (StepUpWindow.emailVerification).
 */
export function assertAccess(
  principal: Principal,
  rule: AccessRule,
  freshSinceMs?: number,
  emailVerification?: EmailVerification,
): void {
  const denial = evaluateAccess(rule, principal, freshSinceMs, emailVerification);
  if (denial) throw accessProblem(denial, principal.scopes);
}
