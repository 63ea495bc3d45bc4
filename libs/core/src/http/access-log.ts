import type { FastifyInstance } from 'fastify';
import type { MetricsService } from '../metrics/metrics.service';
import { safeUrl } from '../logging/redaction';

/**
 * One JSON line and one metrics observation per request: route pattern, status, latency, trusted client IP. The
 * hooks are synchronous (an async hook costs a promise per request); `logger` is a pino logger made once at start-up.
 */
export function registerAccessLog(
  fastify: FastifyInstance,
  logger: { info(obj: object, msg: string): void },
  metrics: MetricsService,
): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    const latencyMs = reply.elapsedTime;
    metrics.observe(request.method, route, reply.statusCode, latencyMs / 1000);
    logger.info(
      {
        requestId: request.id,
        method: request.method,
        route,
        url: safeUrl(request.url),
        status: reply.statusCode,
        latencyMs: Math.round(latencyMs * 100) / 100,
        ip: request.ip,
        userAgent: request.headers['user-agent']?.slice(0, 200),
      },
      'request completed',
    );
    done();
  });
}
