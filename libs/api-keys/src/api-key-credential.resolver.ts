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

/**
 * A key's own headers, set one by one on `target` (a reply, or a record for a refusal): `RateLimit-*` (IETF draft)
 * on every answer of a limited key and `Retry-After` when refused; `X-API-Key-Status` and `Sunset` (RFC 8594) while
 * a rotated key is in its grace period. One by one because this runs on every request of a limited key, where
 * building and spreading header objects showed in the profile.
 */
export function setKeyHeaders(v: Verification, target: { header(name: string, value: string): unknown }): void {
  const r = v.ratelimit;
  if (r) {
    target.header('ratelimit-limit', String(r.limit));
    target.header('ratelimit-remaining', String(r.remaining));
    target.header('ratelimit-reset', String(Math.ceil(r.resetMs / 1000)));
    if (!r.allowed) target.header('retry-after', String(Math.max(1, Math.ceil(r.retryAfterMs / 1000))));
  }
  if (v.graceEndsAt) {
    target.header('x-api-key-status', 'grace-period');
    target.header('sunset', v.graceEndsAt.toUTCString());
  }
}

/** The refusal for a verification that is not VALID. */
export function refusal(v: Verification): DomainException {
  const headers: Record<string, string> = {};
  setKeyHeaders(v, { header: (name, value) => (headers[name] = value) });
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

const PENDING_CHARGE = Symbol('apiKey.pendingCharge');
type WithPendingCharge = { [PENDING_CHARGE]?: Verification };

/**
 * A verification whose rate limit and quota are still to be spent, kept on its request: the KeyThrottlerGuard, which
 * runs after the access guard, takes it (`takePendingCharge`). A request the access guard refuses after the key
 * resolved (its rule) leaves it to be collected with the request: nothing spent. A property rather than a WeakMap
 * keyed by request: an ephemeron entry per request showed in the profile of a rate-limited key.
 */
export function deferCharge(request: object, v: Verification): void {
  (request as WithPendingCharge)[PENDING_CHARGE] = v;
}

/** The request's pending verification, once (the property is cleared). */
export function takePendingCharge(request: object): Verification | undefined {
  const r = request as WithPendingCharge;
  const v = r[PENDING_CHARGE];
  if (v) r[PENDING_CHARGE] = undefined;
  return v;
}

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
      deferCharge(request, v);
      return principalOfKey(v);
    }
    setKeyHeaders(v, reply);
    return principalOfKey(v);
  }
}
