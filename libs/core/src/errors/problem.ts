import { HttpException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { CoreErrorCode } from './core-error-codes';
import { DomainException, FieldError } from './domain.exception';
import { errorDefinition } from './error-registry';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  instance?: string;
  errors?: FieldError[];
  [key: string]: unknown;
}

export interface Problem {
  status: number;
  body: ProblemDocument;
  headers: Record<string, string>;
  /** Unexpected errors are logged with their stack; expected ones are not. */
  unexpected: boolean;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

const STATUS_CODES: Record<number, CoreErrorCode> = {
  400: CoreErrorCode.BAD_REQUEST,
  401: CoreErrorCode.UNAUTHENTICATED,
  403: CoreErrorCode.FORBIDDEN,
  404: CoreErrorCode.NOT_FOUND,
  405: CoreErrorCode.METHOD_NOT_ALLOWED,
  409: CoreErrorCode.CONFLICT,
  413: CoreErrorCode.PAYLOAD_TOO_LARGE,
  415: CoreErrorCode.UNSUPPORTED_MEDIA_TYPE,
  429: CoreErrorCode.TOO_MANY_REQUESTS,
  503: CoreErrorCode.SERVICE_UNAVAILABLE,
};

const FASTIFY_CODES: Record<string, CoreErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: CoreErrorCode.PAYLOAD_TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: CoreErrorCode.UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: CoreErrorCode.BAD_REQUEST,
  FST_ERR_CTP_EMPTY_JSON_BODY: CoreErrorCode.MALFORMED_JSON,
  FST_ERR_CTP_INVALID_JSON_BODY: CoreErrorCode.MALFORMED_JSON,
};

const DB_DOWN_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** True when the error means PostgreSQL cannot be reached (as opposed to a bad query). */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; driverError?: { code?: string; message?: string } } | undefined;
  if (!e || typeof e !== 'object') return false;
  const code = e.driverError?.code ?? e.code;
  if (typeof code === 'string') {
    if (DB_DOWN_NODE_CODES.has(code)) return true;
    // SQLSTATE class 08 (connection exception), 57P01-57P03 (shutdown, cannot connect now), 53300 (too many connections)
    if (/^08|^57P0[1-3]$|^53300$/.test(code)) return true;
  }
  const message = `${e.driverError?.message ?? ''} ${e.message ?? ''}`;
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error|the database system is (shutting down|starting up)/i.test(
    message,
  );
}

function kebab(code: string): string {
  return code.toLowerCase().replace(/_/g, '-');
}

/** The problem document for a registered code: type, title and status from the registry, one shape everywhere. */
export function problemBody(
  code: string,
  requestId: string,
  detail?: string,
  extras: Record<string, unknown> = {},
): ProblemDocument {
  const def = errorDefinition(code) ?? errorDefinition(CoreErrorCode.INTERNAL_ERROR)!;
  return {
    type: `urn:problem:${kebab(code)}`,
    title: def.title,
    status: def.status,
    detail: detail ?? def.title,
    code,
    requestId,
    ...extras,
  };
}

/** Maps anything thrown to an RFC 9457 problem. Only DomainException details and known framework errors leak text. */
export function toProblem(err: unknown, requestId: string): Problem {
  // Nest wraps errors raised by Fastify before routing (body parsing, limits) in an HttpException with a cause.
  const cause = err instanceof HttpException ? (err.cause as { code?: unknown } | undefined) : undefined;
  if (cause && (cause instanceof DomainException || typeof cause.code === 'string')) return toProblem(cause, requestId);
  if (err instanceof DomainException) {
    const { headers = {}, ...extras } = err.extras;
    const body = problemBody(err.code, requestId, err.detail, extras);
    return { status: body.status, body, headers, unexpected: false };
  }
  if (isDatabaseUnavailable(err)) {
    const body = problemBody(
      CoreErrorCode.DATABASE_UNAVAILABLE,
      requestId,
      'The database cannot be reached; try again shortly.',
    );
    return { status: 503, body, headers: { 'retry-after': '5' }, unexpected: false };
  }
  if (err instanceof QueryFailedError) {
    // SQLSTATE class 22 (data exception: a NUL byte, an out-of-range number) is bad input that slipped past validation.
    const code = (err.driverError as { code?: string } | undefined)?.code;
    if (typeof code === 'string' && code.startsWith('22')) {
      return {
        status: 400,
        body: problemBody(CoreErrorCode.BAD_REQUEST, requestId, 'The request contains a value that cannot be stored.'),
        headers: {},
        unexpected: false,
      };
    }
    return internal(requestId);
  }
  const fst = err as { code?: string; statusCode?: number; name?: string; message?: string };
  if (typeof fst?.code === 'string' && FASTIFY_CODES[fst.code]) {
    const code = FASTIFY_CODES[fst.code];
    return {
      status: errorDefinition(code)!.status,
      body: problemBody(code, requestId, undefined),
      headers: {},
      unexpected: false,
    };
  }
  if (fst && fst.statusCode === 400 && fst.name === 'SyntaxError') {
    const forbidden = /forbidden prototype property|constructor/i.test(fst.message ?? '');
    const code = forbidden ? CoreErrorCode.FORBIDDEN_PROPERTY : CoreErrorCode.MALFORMED_JSON;
    return { status: 400, body: problemBody(code, requestId, undefined), headers: {}, unexpected: false };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const isRoute = status === 404 && /^Cannot [A-Z-]+ /.test(err.message);
    const code = isRoute ? CoreErrorCode.ROUTE_NOT_FOUND : STATUS_CODES[status];
    if (!code)
      return status >= 500
        ? internal(requestId)
        : {
            status,
            body: { ...problemBody(CoreErrorCode.BAD_REQUEST, requestId, undefined), status },
            headers: {},
            unexpected: false,
          };
    return { status, body: problemBody(code, requestId, undefined), headers: {}, unexpected: false };
  }
  if (typeof fst?.statusCode === 'number' && fst.statusCode >= 400 && fst.statusCode < 500) {
    const code = STATUS_CODES[fst.statusCode] ?? CoreErrorCode.BAD_REQUEST;
    return {
      status: fst.statusCode,
      body: { ...problemBody(code, requestId, undefined), status: fst.statusCode },
      headers: {},
      unexpected: false,
    };
  }
  return internal(requestId);
}

function internal(requestId: string): Problem {
  const body = problemBody(
    CoreErrorCode.INTERNAL_ERROR,
    requestId,
    `An unexpected error occurred. Quote request id ${requestId} when reporting it.`,
  );
  return { status: 500, body, headers: {}, unexpected: true };
}
