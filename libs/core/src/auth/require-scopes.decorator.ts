import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import { API_KEY_SECURITY, SESSION_SECURITY } from '../http/openapi';
import type { Scope } from './scopes';

export const REQUIRED_SCOPES = 'security:requiredScopes';

/** One decorator per access rule: the scopes a route needs (checked by the global guard) and its Swagger security. */
export function RequireScopes(...scopes: Scope[]): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(REQUIRED_SCOPES, scopes), ApiBearerAuth(SESSION_SECURITY), ApiSecurity(API_KEY_SECURITY));
}

/** Any signed-in principal (session or API key), no particular scope. */
export function Authenticated(): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(REQUIRED_SCOPES, []), ApiBearerAuth(SESSION_SECURITY), ApiSecurity(API_KEY_SECURITY));
}
