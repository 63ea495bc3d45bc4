import type { FastifyInstance } from 'fastify';
import pino, { type LogFn } from 'pino';
import type { MetricsService } from '../metrics/metrics.service';
import { safeUrl } from '../logging/redaction';

/** The fields of the one line logged per request; none is sensitive (the URL is masked by `safeUrl`). */
export interface AccessFields {
  requestId: string;
  method: string;
  route: string;
  url: string;
  status: number;
  latencyMs: number;
  ip: string;
  userAgent?: string;
}

export const ACCESS_MESSAGE = 'request completed';

const { chindingsSym, streamSym, timeSym, needsMetadataGsym } = pino.symbols;
type PinoInternals = Record<symbol, unknown>;
/** The part of a pino logger used here (any of pino's Logger generics). */
type RequestLogger = { info: LogFn; isLevelEnabled(level: string): boolean };

/**
 * The access line as `logger.info(fields, ACCESS_MESSAGE)` would write it, byte for byte (a unit test compares the
 * two), built directly: the fields are fixed, so the line is one template with the untrusted strings escaped by
 * `JSON.stringify`, and it goes to the logger's own stream (the batched stdout, the pretty worker or a test's
 * capture) with the logger's bindings and clock. pino's generic path (mixin, merge, per-key serialisation) cost about
 * a tenth of a public GET in the profile. A logger whose stream needs pino's metadata (a multistream) or whose level
 * is above `info` is served by pino itself.
 */
export function accessLineWriter(logger: RequestLogger): (fields: AccessFields) => void {
  const internals = logger as unknown as PinoInternals;
  const stream = internals[streamSym] as { write(line: string): unknown; [k: symbol]: unknown };
  if (stream[needsMetadataGsym] === true) return (fields) => logger.info(fields, ACCESS_MESSAGE);
  const time = internals[timeSym] as () => string;
  return (fields) => {
    if (!logger.isLevelEnabled('info')) return;
    stream.write(accessLine(fields, time(), internals[chindingsSym] as string));
  };
}

/** pino's line layout: level, time, the logger's bindings, the fields in order, the message. */
export function accessLine(f: AccessFields, time: string, chindings: string): string {
  const ua = f.userAgent === undefined ? '' : `,"userAgent":${JSON.stringify(f.userAgent)}`;
  return (
    `{"level":30${time}${chindings},"requestId":${JSON.stringify(f.requestId)},"method":${JSON.stringify(f.method)}` +
    `,"route":${JSON.stringify(f.route)},"url":${JSON.stringify(f.url)},"status":${f.status}` +
    `,"latencyMs":${f.latencyMs},"ip":${JSON.stringify(f.ip)}${ua},"msg":"${ACCESS_MESSAGE}"}\n`
  );
}

/**
 * One JSON line and one metrics observation per request: route pattern, status, latency, trusted client IP. The
 * hooks are synchronous (an async hook costs a promise per request); `logger` is a pino logger made once at start-up.
 */
export function registerAccessLog(fastify: FastifyInstance, logger: RequestLogger, metrics: MetricsService): void {
  const log = accessLineWriter(logger);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    const latencyMs = reply.elapsedTime;
    metrics.observe(request.method, route, reply.statusCode, latencyMs / 1000);
    log({
      requestId: request.id,
      method: request.method,
      route,
      url: safeUrl(request.url),
      status: reply.statusCode,
      latencyMs: Math.round(latencyMs * 100) / 100,
      ip: request.ip,
      userAgent: request.headers['user-agent']?.slice(0, 200),
    });
    done();
  });
}
