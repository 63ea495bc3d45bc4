import { applyDecorators, CanActivate, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import { Reflector } from '@nestjs/core';
import { API_KEY_SECURITY, presentedCredential, Public, RequestWithPrincipal, routeRule } from '@app/core';
import type { FastifyReply } from 'fastify';
import { ApiKeyErrorCode, ApiKeyException } from './api-key-error-codes';
import { graceHeaders, principalOfKey, rateLimitHeaders, refusal } from './api-key-credential.resolver';
import { KeyVerifier, Verification } from './key-verifier';

/** Scopes a proxy asks for on top of the route's, e.g. nginx `proxy_set_header X-Required-Scopes "profiles:read";`. */
function requestedScopes(header: string | string[] | undefined): string[] {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  return value
    .split(/[\s,]+/)
    .filter(Boolean)
    .slice(0, 20);
}

/**
 * API keys only (no sessions): `Authorization: Bearer sk_…` or `X-API-Key`. Used by introspection, which nginx calls
 * for every request to a protected upstream.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly verifier: KeyVerifier,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    const credential = presentedCredential(request);
    if (!credential || (credential.via === 'authorization' && !credential.value.startsWith('sk_'))) {
      throw new ApiKeyException(
        ApiKeyErrorCode.API_KEY_REQUIRED,
        'Present an API key (Authorization: Bearer sk_… or X-API-Key).',
      );
    }
    const scopes = [
      ...routeRule(this.reflector, context).requiredScopes,
      ...requestedScopes(request.headers['x-required-scopes']),
    ];
    const v = this.verifier.verify(credential.value, request.ip, scopes);
    return v instanceof Promise ? v.then((r) => this.accept(r, context)) : this.accept(v, context);
  }

  private accept(v: Verification, context: ExecutionContext): true {
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    if (v.code !== 'VALID') throw refusal(v);
    if (v.ratelimit || v.graceEndsAt)
      context
        .switchToHttp()
        .getResponse<FastifyReply>()
        .headers({ ...rateLimitHeaders(v), ...graceHeaders(v) });
    request.principal = principalOfKey(v);
    return true;
  }
}

/** One access rule: an API key, checked by ApiKeyGuard instead of the global session-or-key guard. */
export function RequireApiKey(): MethodDecorator & ClassDecorator {
  return applyDecorators(Public(), UseGuards(ApiKeyGuard), ApiSecurity(API_KEY_SECURITY));
}
