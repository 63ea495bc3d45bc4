import { Injectable, OnModuleInit } from '@nestjs/common';
import {
  AccessRule,
  accessProblem,
  CredentialResolver,
  CredentialResolvers,
  DomainException,
  PresentedCredential,
  Principal,
} from '@app/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyErrorCode, ApiKeyException } from './api-key-error-codes';
import { KeyVerifier, Verification } from './key-verifier';

/** `RateLimit-*` (IETF draft) on every limited answer; `Retry-After` when refused. */
export function rateLimitHeaders(v: Verification): Record<string, string> {
  if (!v.ratelimit) return {};
  const headers: Record<string, string> = {
    'ratelimit-limit': String(v.ratelimit.limit),
    'ratelimit-remaining': String(v.ratelimit.remaining),
    'ratelimit-reset': String(Math.ceil(v.ratelimit.resetMs / 1000)),
  };
  if (!v.ratelimit.allowed) headers['retry-after'] = String(Math.max(1, Math.ceil(v.ratelimit.retryAfterMs / 1000)));
  return headers;
}

/** RFC 8594: a key in its rotation grace period still works and says when it stops. */
export function graceHeaders(v: Verification): Record<string, string> {
  return v.graceEndsAt ? { 'x-api-key-status': 'grace-period', sunset: v.graceEndsAt.toUTCString() } : {};
}

/** The refusal for a verification that is not VALID. */
export function refusal(v: Verification): DomainException {
  const headers = { ...rateLimitHeaders(v), ...graceHeaders(v) };
  switch (v.code) {
    case 'NOT_FOUND':
      return new ApiKeyException(ApiKeyErrorCode.API_KEY_INVALID, 'The API key is not valid.');
    case 'EXPIRED':
      return new ApiKeyException(ApiKeyErrorCode.API_KEY_EXPIRED, 'The API key has expired; create or rotate a key.');
    case 'REVOKED':
      return new ApiKeyException(ApiKeyErrorCode.API_KEY_REVOKED, 'The API key has been revoked.');
    case 'FORBIDDEN_IP':
      return new ApiKeyException(ApiKeyErrorCode.IP_NOT_ALLOWED, "This address is not in the key's allowlist.", {
        headers,
      });
    case 'INSUFFICIENT_SCOPES':
    case 'EMAIL_NOT_VERIFIED':
      return accessProblem(v.denial!, v.scopes, headers);
    case 'RATE_LIMITED':
      return new ApiKeyException(
        ApiKeyErrorCode.RATE_LIMITED,
        `Rate limit of ${v.ratelimit?.limit} requests reached; retry later.`,
        { headers },
      );
    case 'QUOTA_EXCEEDED':
      return new ApiKeyException(ApiKeyErrorCode.QUOTA_EXCEEDED, "The key's quota is used up.", { headers });
    default:
      throw new Error(`no refusal for ${v.code}`);
  }
}

const DEFER_LIMITS = { deferLimits: true };

function principalOfKey(v: Verification): Principal {
  return v.key!.principal as Principal;
}

/**
 * Verifications whose rate limit and quota are still to be spent, by request: the KeyThrottlerGuard, which runs after
 * the access guard, takes them from here. A request the access guard refuses after the key resolved (its rule)
 * leaves its entry to be collected with the request: nothing spent.
 */
export const deferredCharges = new WeakMap<object, Verification>();

/** API keys (`sk_…` bearer tokens and the `X-API-Key` header) for the global guard. */
@Injectable()
export class ApiKeyCredentialResolver implements CredentialResolver, OnModuleInit {
  readonly kind = 'apiKey';

  constructor(
    private readonly registry: CredentialResolvers,
    private readonly verifier: KeyVerifier,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  accepts(credential: PresentedCredential): boolean {
    return credential.via === 'x-api-key' || credential.value.startsWith('sk_');
  }

  resolve(
    credential: PresentedCredential,
    request: FastifyRequest,
    reply: FastifyReply,
    rule: AccessRule,
  ): Principal | Promise<Principal> {
    // The rule goes to the verifier: a key the rule refuses is refused before it spends rate limit or quota; those
    // are left to the KeyThrottlerGuard (after this guard has admitted the request).
    const v = this.verifier.verify(credential.value, request.ip, rule, DEFER_LIMITS);
    return v instanceof Promise ? v.then((r) => this.accept(r, request, reply)) : this.accept(v, request, reply);
  }

  private accept(v: Verification, request: FastifyRequest, reply: FastifyReply): Principal {
    if (v.code !== 'VALID') throw refusal(v);
    if (v.deferred) {
      deferredCharges.set(request, v);
      return principalOfKey(v);
    }
    if (v.ratelimit || v.graceEndsAt) reply.headers({ ...rateLimitHeaders(v), ...graceHeaders(v) });
    return principalOfKey(v);
  }
}
