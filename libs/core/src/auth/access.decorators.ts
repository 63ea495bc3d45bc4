import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiSecurity } from '@nestjs/swagger';
import { ALLOWS_MFA_ENROLMENT, ALLOWS_UNVERIFIED_EMAIL, PUBLIC_OPERATION } from '../http/api-problems';
import { API_KEY_SECURITY, SESSION_SECURITY } from '../http/openapi';
import { AccessRules } from './access-rule';
import type { Scope } from './scopes';

/** The route's (or controller's) AccessRule; the AccessGuard reads it. */
export const ACCESS_RULE = 'security:accessRule';
/** A request header naming further scopes (see AccessRule.scopesHeader). */
export const SCOPES_HEADER = 'security:scopesHeader';
/** The route is a sensitive action (see AccessRule.sensitive). */
export const SENSITIVE_ACTION = 'security:sensitiveAction';
/** A session of an account whose email address is not verified may use the route (see AccessRule.unverifiedEmail). */
export const ALLOW_UNVERIFIED_EMAIL = 'security:allowUnverifiedEmail';
/** A session that must enrol a second factor first may use the route (see AccessRule.mfaEnrolment). */
export const ALLOW_MFA_ENROLMENT = 'security:allowMfaEnrolment';

type AccessDecorator = MethodDecorator & ClassDecorator;

/*
 * One decorator per access rule: each sets the rule the global AccessGuard evaluates and the route's Swagger
 * security, so the document cannot drift from what is enforced. A route without one needs a principal of either
 * kind (the rule of @Authenticated()).
 */

/**
 * No principal needed; credentials are not looked at (login, health; metrics has its own token guard). The document
 * says so with an explicit `security: []` (buildOpenApiDocument turns the x-public mark into it).
 */
export function Public(): AccessDecorator {
  return applyDecorators(SetMetadata(ACCESS_RULE, AccessRules.public()), ApiExtension(PUBLIC_OPERATION, true));
}

/**
 * Open to anyone, answering more to a caller with a credential: one presented is verified like anywhere else (an
 * invalid one is refused, never silently ignored); none means an anonymous request.
 */
export function OptionalAuthentication(): AccessDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_RULE, AccessRules.optional()),
    ApiBearerAuth(SESSION_SECURITY),
    ApiSecurity(API_KEY_SECURITY),
    ApiSecurity({}),
  );
}

/** Any signed-in principal (session or API key), no particular scope. */
export function Authenticated(): AccessDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_RULE, AccessRules.principal()),
    ApiBearerAuth(SESSION_SECURITY),
    ApiSecurity(API_KEY_SECURITY),
  );
}

/** A session or an API key holding `scopes` (admin:all holds all). */
export function RequireScopes(...scopes: Scope[]): AccessDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_RULE, AccessRules.principal(scopes)),
    ApiBearerAuth(SESSION_SECURITY),
    ApiSecurity(API_KEY_SECURITY),
  );
}

/** A signed-in person only (an API key is refused with SESSION_REQUIRED before it is looked up), plus `scopes`. */
export function RequireSession(...scopes: Scope[]): AccessDecorator {
  return applyDecorators(SetMetadata(ACCESS_RULE, AccessRules.session(scopes)), ApiBearerAuth(SESSION_SECURITY));
}

/** An API key only (`Authorization: Bearer sk_…` or `X-API-Key`; a session is refused with API_KEY_REQUIRED). */
export function RequireApiKey(...scopes: Scope[]): AccessDecorator {
  return applyDecorators(SetMetadata(ACCESS_RULE, AccessRules.apiKey(scopes)), ApiSecurity(API_KEY_SECURITY));
}

/**
 * Marks the route (on top of its access rule) a sensitive action: a session must have proved its password within
 * STEP_UP_MAX_AGE_MINUTES, else 403 RECENT_LOGIN_REQUIRED (list it in the route's @ApiProblems). For routes that are
 * sensitive whatever they are asked; where the content decides (a key's scopes), the service asks
 * `AccessRules.sensitive` through StepUpWindow.assert.
 */
export function SensitiveAction(): AccessDecorator {
  return SetMetadata(SENSITIVE_ACTION, true);
}

/**
 * One of the few routes an account may use before its email address is verified (the allow-list in docs/auth.md):
 * signing out, its sessions, /v1/me, its public profile, having the mail sent again. Every other authenticated route
 * answers a session of an unverified account 403 EMAIL_NOT_VERIFIED while REQUIRE_VERIFIED_EMAIL is on (the safe
 * default: a new route needs a verified address unless it says otherwise). Only sessions: a key whose owner is
 * unverified is refused here too. Marks the operation in the OpenAPI document (x-allows-unverified-email).
 */
export function AllowUnverifiedEmail(): AccessDecorator {
  return applyDecorators(SetMetadata(ALLOW_UNVERIFIED_EMAIL, true), ApiExtension(ALLOWS_UNVERIFIED_EMAIL, true));
}

/**
 * One of the few routes a session may use while its user must enrol a second factor (MFA_REQUIRED_ROLES, an admin
 * without one): enrolling, signing out, its sessions, /v1/me, reauthenticating. Every other route answers such a
 * session 403 MFA_ENROLMENT_REQUIRED. Marks the operation in the OpenAPI document (x-allows-mfa-enrolment).
 */
export function AllowMfaEnrolment(): AccessDecorator {
  return applyDecorators(SetMetadata(ALLOW_MFA_ENROLMENT, true), ApiExtension(ALLOWS_MFA_ENROLMENT, true));
}

/** Adds the scopes named in request header `name` to the route's rule (see AccessRule.scopesHeader). */
export function ScopesFromHeader(name: string): AccessDecorator {
  return SetMetadata(SCOPES_HEADER, name.toLowerCase());
}
