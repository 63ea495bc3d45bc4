import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { IncomingMessage } from 'node:http';
import type { AppConfig } from '../config/load-config';
import { blockListOf, ipMatches } from './ip';
import { requestIdFor } from './request-id';

/**
 * Fastify with: the trusted proxy list from config (never `true`: the leftmost X-Forwarded-For is client-controlled),
 * a body limit (413 over it), prototype-poisoning bodies refused (400), and request ids.
 */
export function createFastifyAdapter(config: AppConfig): FastifyAdapter {
  const proxies = blockListOf(config.trustedProxies);
  const trusted = (address: string) => ipMatches(proxies, address);
  return new FastifyAdapter({
    trustProxy: config.trustedProxies.length ? config.trustedProxies : false,
    bodyLimit: config.env.BODY_LIMIT_BYTES,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    logger: false,
    genReqId: (req: IncomingMessage) => requestIdFor(req, trusted),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: false },
  });
}
