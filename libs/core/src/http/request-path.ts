import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/** Any pino logger (custom levels or not): only `child` is used. */
type BaseLogger = Pick<Logger<string>, 'child'>;
import type { MetricsService } from '../metrics/metrics.service';
import { registerAccessLog } from './access-log';
import { refuseCredentialsInUrl } from './credentials-in-url';
import { registerJsonBodyParser } from './json-body-parser';
import { registerRequestContext } from './request-context';
import { registerSecurityHeaders } from './security-headers';

/**
 * What every request goes through before and after its route, as Fastify hooks, not Nest middleware (which runs
 * through @fastify/middie): the security headers, the credentials-in-URL refusal, the JSON body parser, the access
 * line with its metrics observation, and the request context for audit rows and log lines. The service's boot and the
 * bench's floor (bench/hello.mjs) both register it here, so the floor measures exactly what the service runs.
 * The access line's fields are fixed and none is sensitive (the URL is masked by `safeUrl`): its logger, a child of
 * `logger`, skips the deep redaction pass the application's lines get.
 */
export function registerRequestPath(fastify: FastifyInstance, logger: BaseLogger, metrics: MetricsService): void {
  const requestLogger = logger.child({ context: 'http' }, { formatters: { log: (line: object) => line } });
  registerSecurityHeaders(fastify);
  refuseCredentialsInUrl(fastify);
  registerJsonBodyParser(fastify);
  registerAccessLog(fastify, requestLogger, metrics);
  registerRequestContext(fastify);
}
