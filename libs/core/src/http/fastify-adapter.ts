import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
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
    clientErrorHandler: answerClientError,
    frameworkErrors: (err: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply) => {
      const [status, code, title] = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? [414, 'URI_TOO_LONG', 'A path parameter is too long'] : [400, 'BAD_REQUEST', 'The request URL is malformed'];
      void reply
        .code(status)
        .type('application/problem+json; charset=utf-8')
        .send(JSON.stringify({ type: `urn:problem:${code.toLowerCase().replace(/_/g, '-')}`, title, status, detail: `${title}.`, code, requestId: request.id }));
    },
  });
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'REQUEST_HEADERS_TOO_LARGE', 'Request headers or URL too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'The request took too long to arrive'],
};

/**
 * Requests Node's HTTP parser refuses never reach Fastify's routing (oversized headers or URL, broken framing): they
 * get the same problem+json shape as everything else instead of Fastify's default body, then the socket closes.
 */
export function answerClientError(err: Error & { code?: string }, socket: import('node:net').Socket): void {
  // On a keep-alive connection a response may be in flight: writing now would land inside it.
  const inFlight = (socket as unknown as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, code, title] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'BAD_REQUEST', 'Bad request'];
  const body = JSON.stringify({ type: `urn:problem:${code.toLowerCase().replace(/_/g, '-')}`, title, status, detail: `${title}.`, code, requestId: 'none' });
  socket.end(`HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
