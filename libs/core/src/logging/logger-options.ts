import type { Params } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import type { AppConfig } from '../config/load-config';
import { currentRequest } from '../http/request-context';
import { logStream, LogOutputOptions } from './log-output';
import { redactDeep, safeUrl } from './redaction';

/**
 * Errors are logged with type, message, code and stack only: a TypeORM QueryFailedError also carries the SQL, its
 * parameters (hashes, emails, tokens) and the driver error, none of which may reach the logs.
 */
export function safeErrorSerializer(input: unknown): Record<string, unknown> {
  // pino-http (under nestjs-pino) runs pino's own err serializer first and hands us its plain copy, which keeps the
  // original error as a non-enumerable `raw`.
  const raw = (input as { raw?: unknown } | null)?.raw;
  const err = input instanceof Error ? input : raw instanceof Error ? raw : undefined;
  if (!err) return { message: String(input) };
  const e = err as Error & { code?: unknown; driverError?: { code?: unknown } };
  return {
    type: e.constructor?.name ?? e.name,
    message: e.message,
    code:
      typeof e.code === 'string' ? e.code : typeof e.driverError?.code === 'string' ? e.driverError.code : undefined,
    stack: e.stack,
  };
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
