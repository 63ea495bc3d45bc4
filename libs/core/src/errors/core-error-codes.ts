import { DomainException, DomainExceptionExtras } from './domain.exception';
import { registerErrorCodes } from './error-registry';

export enum CoreErrorCode {
  VALIDATION_FAILED = 'VALIDATION_FAILED',
  MALFORMED_JSON = 'MALFORMED_JSON',
  FORBIDDEN_PROPERTY = 'FORBIDDEN_PROPERTY',
  /** A JSON body nested deeper than MAX_JSON_DEPTH, refused by the body parser before anything walks it. */
  JSON_TOO_DEEP = 'JSON_TOO_DEEP',
  /** A JSON body with more object keys than MAX_JSON_KEYS (json-body-parser.ts): each would cost validation time. */
  JSON_TOO_MANY_KEYS = 'JSON_TOO_MANY_KEYS',
  BAD_REQUEST = 'BAD_REQUEST',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  /** Answered by the HTTP parser hook (fastify-adapter.ts) for headers or a URL over Node's limit. */
  REQUEST_HEADERS_TOO_LARGE = 'REQUEST_HEADERS_TOO_LARGE',
  REQUEST_TIMEOUT = 'REQUEST_TIMEOUT',
  /** Answered by Fastify's router hook (fastify-adapter.ts) for a path parameter over 200 characters. */
  URI_TOO_LONG = 'URI_TOO_LONG',
  UNSUPPORTED_MEDIA_TYPE = 'UNSUPPORTED_MEDIA_TYPE',
  CREDENTIALS_IN_URL = 'CREDENTIALS_IN_URL',
  /** Answered by nginx on plain HTTP for API paths (docker/nginx); never by the app itself. */
  HTTPS_REQUIRED = 'HTTPS_REQUIRED',
  MISDIRECTED_REQUEST = 'MISDIRECTED_REQUEST',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  INSUFFICIENT_SCOPES = 'INSUFFICIENT_SCOPES',
  SESSION_REQUIRED = 'SESSION_REQUIRED',
  API_KEY_REQUIRED = 'API_KEY_REQUIRED',
  /** Authorization and X-API-Key together, or either header twice: refused before any lookup (AccessGuard). */
  AMBIGUOUS_CREDENTIALS = 'AMBIGUOUS_CREDENTIALS',
  /** The password confirming a sensitive action (erasure, password change) is wrong (AccountOwnerCheck). */
  CURRENT_PASSWORD_WRONG = 'CURRENT_PASSWORD_WRONG',
  /** A sensitive action from a session that last proved its password too long ago (evaluateAccess). */
  RECENT_LOGIN_REQUIRED = 'RECENT_LOGIN_REQUIRED',
  /** The account's email address is not verified yet and the route is not one an unverified account may use. */
  EMAIL_NOT_VERIFIED = 'EMAIL_NOT_VERIFIED',
  /** A session of a user whose role must have a second factor (MFA_REQUIRED_ROLES) and has none: it may only enrol one. */
  MFA_ENROLMENT_REQUIRED = 'MFA_ENROLMENT_REQUIRED',
  /** A sensitive action from an aal1 session of a user who has a second factor: prove it first (evaluateAccess). */
  SECOND_FACTOR_REQUIRED = 'SECOND_FACTOR_REQUIRED',
  /** A list cursor this list did not issue: unreadable, tampered, another list's or filter's (CursorCodec). */
  INVALID_CURSOR = 'INVALID_CURSOR',
  NOT_FOUND = 'NOT_FOUND',
  ROUTE_NOT_FOUND = 'ROUTE_NOT_FOUND',
  /** A known path asked with a method it does not serve; `Allow` lists those it does (problem.filter.ts). */
  METHOD_NOT_ALLOWED = 'METHOD_NOT_ALLOWED',
  CONFLICT = 'CONFLICT',
  TOO_MANY_REQUESTS = 'TOO_MANY_REQUESTS',
  DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  INTERNAL_ERROR = 'INTERNAL_ERROR',
}

export const CORE_ERRORS = registerErrorCodes<CoreErrorCode>({
  VALIDATION_FAILED: { status: 400, title: 'The request is invalid' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  FORBIDDEN_PROPERTY: { status: 400, title: 'The request body contains a forbidden property' },
  JSON_TOO_DEEP: { status: 400, title: 'The request body is nested too deeply' },
  JSON_TOO_MANY_KEYS: { status: 400, title: 'The request body has too many keys' },
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  REQUEST_HEADERS_TOO_LARGE: { status: 431, title: 'Request headers or URL too large' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request took too long to arrive' },
  URI_TOO_LONG: { status: 414, title: 'A path parameter is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  CREDENTIALS_IN_URL: { status: 400, title: 'Credentials must not be sent in the URL' },
  HTTPS_REQUIRED: { status: 403, title: 'HTTPS required' },
  MISDIRECTED_REQUEST: { status: 421, title: 'This server does not serve that host name' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  INSUFFICIENT_SCOPES: { status: 403, title: 'The credential lacks a required scope' },
  SESSION_REQUIRED: { status: 403, title: 'This action needs a signed-in person, not an API key' },
  API_KEY_REQUIRED: { status: 401, title: 'This endpoint needs an API key' },
  AMBIGUOUS_CREDENTIALS: { status: 400, title: 'More than one credential was presented' },
  CURRENT_PASSWORD_WRONG: { status: 400, title: 'The current password is wrong' },
  RECENT_LOGIN_REQUIRED: { status: 403, title: 'Confirm your password again to do this' },
  EMAIL_NOT_VERIFIED: { status: 403, title: 'Verify your email address first' },
  MFA_ENROLMENT_REQUIRED: { status: 403, title: 'Enrol a second factor first' },
  SECOND_FACTOR_REQUIRED: { status: 403, title: 'Prove your second factor again to do this' },
  INVALID_CURSOR: { status: 400, title: 'The list cursor is invalid' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  CONFLICT: { status: 409, title: 'Conflict' },
  TOO_MANY_REQUESTS: { status: 429, title: 'Too many requests' },
  DATABASE_UNAVAILABLE: { status: 503, title: 'The database is unavailable' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'The service is unavailable' },
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
});

/** The product-wide codes (validation, authentication, not found …): any module may raise these, and only these. */
export class CoreException extends DomainException<CoreErrorCode> {
  constructor(code: CoreErrorCode, detail?: string, extras?: DomainExceptionExtras) {
    super(code, detail, extras);
  }
}
