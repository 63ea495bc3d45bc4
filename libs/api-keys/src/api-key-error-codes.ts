import { DomainException, DomainExceptionExtras, registerErrorCodes } from '@app/core';

export enum ApiKeyErrorCode {
  API_KEY_INVALID = 'API_KEY_INVALID',
  API_KEY_EXPIRED = 'API_KEY_EXPIRED',
  API_KEY_REVOKED = 'API_KEY_REVOKED',
  IP_NOT_ALLOWED = 'IP_NOT_ALLOWED',
  RATE_LIMITED = 'RATE_LIMITED',
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  KEY_LIMIT_REACHED = 'KEY_LIMIT_REACHED',
  API_KEY_NOT_FOUND = 'API_KEY_NOT_FOUND',
  API_KEY_NOT_ACTIVE = 'API_KEY_NOT_ACTIVE',
  SCOPE_NOT_HELD = 'SCOPE_NOT_HELD',
  SCOPES_CAN_ONLY_NARROW = 'SCOPES_CAN_ONLY_NARROW',
}

export const API_KEY_ERRORS = registerErrorCodes<ApiKeyErrorCode>({
  API_KEY_INVALID: { status: 401, title: 'The API key is not valid' },
  API_KEY_EXPIRED: { status: 401, title: 'The API key has expired' },
  API_KEY_REVOKED: { status: 401, title: 'The API key has been revoked' },
  IP_NOT_ALLOWED: { status: 403, title: "The client address is not in the key's allowlist" },
  RATE_LIMITED: { status: 429, title: "The key's rate limit is exhausted; retry after the given time" },
  QUOTA_EXCEEDED: { status: 429, title: "The key's request quota is used up" },
  KEY_LIMIT_REACHED: { status: 409, title: 'The user already holds the maximum number of active keys' },
  API_KEY_NOT_FOUND: { status: 404, title: 'No such API key' },
  API_KEY_NOT_ACTIVE: { status: 409, title: 'The API key is not active' },
  SCOPE_NOT_HELD: { status: 403, title: 'A key cannot get a scope its owner does not hold' },
  SCOPES_CAN_ONLY_NARROW: { status: 400, title: "A key's scopes can only be narrowed" },
});

/** Raised by this module with one of its own codes (product-wide codes go through CoreException). */
export class ApiKeyException extends DomainException<ApiKeyErrorCode> {
  constructor(code: ApiKeyErrorCode, detail?: string, extras?: DomainExceptionExtras) {
    super(code, detail, extras);
  }
}
