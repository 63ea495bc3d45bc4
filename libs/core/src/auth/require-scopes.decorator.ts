import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import { API_KEY_SECURITY, SESSION_SECURITY } from '../http/openapi';
import type { Scope } from './scopes';

export const REQUIRED_SCOPES = 'security:requiredScopes';
export const REQUIRES_SESSION = 'security:requiresSession';

/** One decorator per access rule: the scopes a route needs (checked by the ScopesGuard) and its Swagger security. */
export function RequireScopes(...scopes: Scope[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_SCOPES, scopes),
    ApiBearerAuth(SESSION_SECURITY),
    ApiSecurity(API_KEY_SECURITY),
  );
}

/** Any signed-in principal (session or API key), no particular scope. */
export function Authenticated(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_SCOPES, []),
    ApiBearerAuth(SESSION_SECURITY),
    ApiSecurity(API_KEY_SECURITY),
  );
}

/** A signed-in person only (API keys are refused with SESSION_REQUIRED), plus any scopes the route needs. */
export function RequireSession(...scopes: Scope[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_SCOPES, scopes),
    SetMetadata(REQUIRES_SESSION, true),
    ApiBearerAuth(SESSION_SECURITY),
  );
}
