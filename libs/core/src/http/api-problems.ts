import { applyDecorators } from '@nestjs/common';
import { ApiResponse, OpenAPIObject } from '@nestjs/swagger';
import { errorDefinition } from '../errors/error-registry';
import { MAX_LISTED_ERRORS } from './validation';

/**
 * The OpenAPI extension @AllowUnverifiedEmail sets on an operation: a session of an account whose address is not
 * verified may use it (addCommonProblems then leaves EMAIL_NOT_VERIFIED off a people-only operation).
 */
export const ALLOWS_UNVERIFIED_EMAIL = 'x-allows-unverified-email';
/** The OpenAPI extension @AllowMfaEnrolment sets: a session that must enrol a second factor may use the operation. */
export const ALLOWS_MFA_ENROLMENT = 'x-allows-mfa-enrolment';

/** The OpenAPI extension @Public sets; the document turns it into `security: []` (public, on purpose). */
export const PUBLIC_OPERATION = 'x-public';

const PROBLEM_SCHEMA_REF = { $ref: '#/components/schemas/Problem' };
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

function describeCodes(codes: string[]): string {
  return codes.map((c) => `\`${c}\` ${errorDefinition(c)?.title ?? ''}`.trim()).join('; ');
}

/** The error codes an operation can answer besides the common ones, grouped by HTTP status in its Swagger entry. */
export function ApiProblems(...codes: string[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, string[]>();
  for (const code of codes) {
    const def = errorDefinition(code);
    if (!def) throw new Error(`ApiProblems: unknown error code ${code}`);
    byStatus.set(def.status, [...(byStatus.get(def.status) ?? []), code]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, list]) =>
      ApiResponse({
        status,
        description: describeCodes(list),
        content: { 'application/problem+json': { schema: PROBLEM_SCHEMA_REF } },
      }),
    ),
  );
}

/**
 * Adds what every operation of its kind can answer, so each one lists all its error codes: 400 for input (and for
 * two credentials at once on secured routes), 401/403/429 for credentials and scopes on secured routes, 413/415 where a body can come, 408/414/431 (refused before routing),
 * 500 and 503 everywhere; and the Problem schema they refer to.
 */
export function addCommonProblems(document: OpenAPIObject): void {
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas.Problem = {
    type: 'object',
    description: 'RFC 9457 problem details',
    required: ['type', 'title', 'status', 'detail', 'code', 'requestId'],
    properties: {
      type: { type: 'string', example: 'urn:problem:insufficient-scopes' },
      title: { type: 'string', example: 'The credential lacks a required scope' },
      status: { type: 'integer', example: 403 },
      detail: { type: 'string', example: 'This needs the scope certificates:read.' },
      code: { type: 'string', example: 'INSUFFICIENT_SCOPES' },
      requestId: { type: 'string', example: '0f9c1d2e3a4b5c6d7e8f90a1b2c3d4e5' },
      errors: {
        type: 'array',
        description: 'VALIDATION_FAILED only: what is wrong with each field',
        items: {
          type: 'object',
          required: ['field', 'messages'],
          properties: { field: { type: 'string' }, messages: { type: 'array', items: { type: 'string' } } },
        },
        example: [{ field: 'expiresInDays', messages: ['expiresInDays must not be greater than 365'] }],
      },
      errorCount: {
        type: 'integer',
        description: `VALIDATION_FAILED only: how many fields are wrong in all (errors lists the first ${MAX_LISTED_ERRORS})`,
        example: 1,
      },
      requiredScopes: {
        type: 'array',
        items: { type: 'string' },
        description: 'INSUFFICIENT_SCOPES: the scopes the operation needs',
        example: ['certificates:read'],
      },
      heldScopes: {
        type: 'array',
        items: { type: 'string' },
        description: 'INSUFFICIENT_SCOPES: the scopes the credential holds',
        example: ['profiles:read'],
      },
      scopes: {
        type: 'array',
        items: { type: 'string' },
        description: 'SCOPE_NOT_HELD / SCOPES_CAN_ONLY_NARROW: the scopes at issue',
        example: ['admin:all'],
      },
      reauthenticate: {
        type: 'string',
        description: 'RECENT_LOGIN_REQUIRED: how to renew the recent authentication (then retry)',
        example: 'POST /v1/auth/reauthenticate',
      },
      enrol: {
        type: 'string',
        description: 'MFA_ENROLMENT_REQUIRED: where to enrol a second factor (then confirm it and retry)',
        example: 'POST /v1/auth/mfa/totp',
      },
      resendVerification: {
        type: 'string',
        description: 'EMAIL_NOT_VERIFIED: how to have a new verification mail sent (then follow its link and retry)',
        example: 'POST /v1/auth/email/resend',
      },
      score: {
        type: 'integer',
        minimum: 0,
        maximum: 4,
        description: 'PASSWORD_TOO_WEAK: the strength estimate (zxcvbn, 0–4)',
        example: 1,
      },
      suggestions: {
        type: 'array',
        items: { type: 'string' },
        description: 'PASSWORD_TOO_WEAK: how to choose a stronger one',
        example: ['Add another word or two. Uncommon words are better.'],
      },
      inUse: {
        type: 'object',
        additionalProperties: { type: 'integer' },
        description: 'KEY_VERSION_IN_USE: ciphertexts per store and key version still to rewrap',
        example: { 'profiles v1': 12 },
      },
    },
  };
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const add = (status: number, codes: string[]) => {
        const key = String(status);
        const existing = op.responses[key] as { description?: string; content?: unknown } | undefined;
        const description = existing?.description
          ? `${existing.description}; ${describeCodes(codes)}`
          : describeCodes(codes);
        op.responses[key] = {
          ...existing,
          description,
          content: { 'application/problem+json': { schema: PROBLEM_SCHEMA_REF } },
        };
      };
      const inPath = op.parameters?.some((p) => 'in' in p && p.in === 'path');
      // Every list takes an opaque cursor (CursorCodec) and refuses one it did not issue.
      const pages = op.parameters?.some((p) => 'in' in p && p.in === 'query' && p.name === 'cursor');
      // Fastify parses a body sent with any method but GET, whether or not the operation reads one.
      const takesBody = method !== 'get';
      add(400, [
        ...(op.requestBody || op.parameters?.length ? ['VALIDATION_FAILED'] : []),
        ...(takesBody ? ['MALFORMED_JSON', 'JSON_TOO_DEEP', 'JSON_TOO_MANY_KEYS', 'FORBIDDEN_PROPERTY'] : []),
        ...(inPath ? ['BAD_REQUEST'] : []),
        ...(pages ? ['INVALID_CURSOR'] : []),
        'CREDENTIALS_IN_URL',
        // The guard counts credentials on every route that looks at them (public ones never do).
        ...(op.security?.length ? ['AMBIGUOUS_CREDENTIALS'] : []),
      ]);
      if (takesBody) {
        add(413, ['PAYLOAD_TOO_LARGE']);
        add(415, ['UNSUPPORTED_MEDIA_TYPE']);
      }
      if (op.security?.length) {
        add(401, [
          'UNAUTHENTICATED',
          'SESSION_INVALID',
          'SESSION_EXPIRED',
          'API_KEY_INVALID',
          'API_KEY_REVOKED',
          'API_KEY_EXPIRED',
        ]);
        const takesKeys = op.security.some((s) => 'apiKey' in s);
        // Every authenticated operation needs a verified address (REQUIRE_VERIFIED_EMAIL), except those marked
        // @AllowUnverifiedEmail, which still refuse a key whose owner is unverified.
        const emailGate = !(op as unknown as Record<string, unknown>)[ALLOWS_UNVERIFIED_EMAIL] || takesKeys;
        const takesSessions = op.security.some((s) => 'session' in s);
        // A session that must enrol a second factor is refused everywhere but the operations marked for it.
        const mfaGate = takesSessions && !(op as unknown as Record<string, unknown>)[ALLOWS_MFA_ENROLMENT];
        // A sensitive operation (it lists RECENT_LOGIN_REQUIRED) also asks a user with a factor for aal2.
        const sensitive = (op.responses['403'] as { description?: string } | undefined)?.description?.includes(
          '`RECENT_LOGIN_REQUIRED`',
        );
        add(403, [
          'INSUFFICIENT_SCOPES',
          ...(takesKeys ? ['IP_NOT_ALLOWED'] : ['SESSION_REQUIRED']),
          ...(emailGate ? ['EMAIL_NOT_VERIFIED'] : []),
          ...(mfaGate ? ['MFA_ENROLMENT_REQUIRED'] : []),
          ...(sensitive ? ['SECOND_FACTOR_REQUIRED'] : []),
        ]);
        if (op.security.some((s) => 'apiKey' in s)) add(429, ['RATE_LIMITED', 'QUOTA_EXCEEDED']);
      }
      // Refused by Node or Fastify before routing, for any operation.
      add(408, ['REQUEST_TIMEOUT']);
      add(414, ['URI_TOO_LONG']);
      add(431, ['REQUEST_HEADERS_TOO_LARGE']);
      add(500, ['INTERNAL_ERROR']);
      add(503, ['DATABASE_UNAVAILABLE', 'SERVICE_UNAVAILABLE']);
    }
  }
}
