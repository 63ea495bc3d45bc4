import type { Params } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import type { AppConfig } from '../config/load-config';
import { currentRequest } from '../http/request-context';
import { logStream, LogOutputOptions } from './log-output';
import { redactDeep, safeUrl } from './redaction';

/**
 * Errors are logged with type, message, code and stack only: a TypeORM QueryFailedError also carries the SQL, its
 * parameters (hashes, emails, tokens) and the driver error, none of which may reach the logs. Anything thrown that is
 * not an Error (a string, a plain object, an Error from another realm) is still logged readably: its message and code
 * when it has them, otherwise a short redacted rendering, never "[object Object]".
 */
export function safeErrorSerializer(input: unknown): Record<string, unknown> {
  // pino-http (under nestjs-pino) runs pino's own err serializer first and hands us its plain copy, which keeps the
  // original error as a non-enumerable `raw`.
  const raw = (input as { raw?: unknown } | null)?.raw;
  const value = raw !== undefined && raw !== null ? raw : input;
  if (isErrorLike(value)) {
    const e = value as {
      message: string;
      name?: unknown;
      stack?: unknown;
      code?: unknown;
      driverError?: { code?: unknown };
    };
    const type = value instanceof Error ? value.constructor?.name : undefined;
    return {
      type: type ?? (typeof e.name === 'string' ? e.name : ctorName(value as object)),
      message: e.message,
      code:
        typeof e.code === 'string' || typeof e.code === 'number'
          ? String(e.code)
          : typeof e.driverError?.code === 'string'
            ? e.driverError.code
            : undefined,
      stack: typeof e.stack === 'string' ? e.stack : undefined,
    };
  }
  return {
    type: value === null ? 'null' : typeof value === 'object' ? ctorName(value) : typeof value,
    message: render(value),
  };
}

const MAX_RENDERED = 500;

function isErrorLike(value: unknown): boolean {
  return (
    value instanceof Error ||
    (typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string')
  );
}

function ctorName(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name ? name : 'Object';
}

/** A non-error value as short readable text: strings as they are, anything else as redacted JSON. */
function render(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(redactDeep(value)) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > MAX_RENDERED ? `${text.slice(0, MAX_RENDERED)}…` : text;
}

/**
 * The request id on every line logged while handling a request (from the request context, read only when logging).
 * A new object each time: pino merges the line's fields into it.
 */
function requestIdField(): object {
  const ctx = currentRequest();
  return ctx ? { requestId: ctx.requestId } : {};
}

/**
 * nestjs-pino for the application's loggers, without its per-request middleware (`forRoutes: []`): pino-http would
 * build a child logger per request and run the rest of the request in a second AsyncLocalStorage, through
 * @fastify/middie, for lines that only need the request id, which `mixin` takes from the request context. One line
 * per request (written by the access-log hook with route, status, latency and the trusted
 * client IP), deep redaction of anything named like a password, secret, token or key. JSON, or pino-pretty for a
 * person at a terminal in development (`log-output.ts`); redaction is the same for both.
 */
export function loggerOptions(
  config: AppConfig,
  destination?: NodeJS.WritableStream,
  seams: Omit<LogOutputOptions, 'destination'> = {},
): Params {
  return {
    forRoutes: [],
    pinoHttp: [
      {
        level: config.env.LOG_LEVEL,
        autoLogging: false,
        quietReqLogger: true,
        base: { service: 'security-backend', pid: process.pid },
        redact: {
          paths: [
            'req.headers.authorization',
            'req.headers.cookie',
            'req.headers["x-api-key"]',
            'res.headers["set-cookie"]',
          ],
          censor: '[REDACTED]',
        },
        serializers: {
          err: safeErrorSerializer,
          req: (req: IncomingMessage & { id?: string }) => ({
            id: req.id,
            method: req.method,
            url: safeUrl(req.url ?? ''),
          }),
        },
        formatters: {
          log: (obj: Record<string, unknown>) => redactDeep(obj) as Record<string, unknown>,
        },
        mixin: requestIdField,
      },
      logStream(config.env.NODE_ENV, { ...seams, destination }),
    ].filter(Boolean) as never,
  };
}
