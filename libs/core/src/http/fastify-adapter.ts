import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { AppTls } from '../boot/listener';
import type { AppConfig } from '../config/load-config';
import { CoreErrorCode } from '../errors/core-error-codes';
import { PROBLEM_CONTENT_TYPE, problemBody } from '../errors/problem';
import { blockListOf, ipMatches } from './ip';
import { requestIdFor } from './request-id';

/**
 * Fastify with: the trusted proxy list from config (never `true`: the leftmost X-Forwarded-For is client-controlled),
 * a body limit (413 over it), prototype-poisoning bodies refused (400), request ids, and TLS when the app has its own
 * certificate (`APP_TLS_CERT_FILE`).
 *
 * On a Unix socket (`SOCKET_PATH`) there is no TCP listener and the peer has no address: who may connect is decided
 * by the socket's owner, group and mode (nginx's group, 0660), so that peer is the trusted proxy. Over TCP an
 * address-less peer (a socket already closed) is never trusted; `TRUSTED_PROXIES` applies unchanged.
 */
export function createFastifyAdapter(config: AppConfig, tls?: AppTls): FastifyAdapter {
  const proxies = blockListOf(config.trustedProxies);
  const onSocket = !!config.env.SOCKET_PATH;
  // The socket peer has no address ('' / undefined): trusted on a Unix socket only.
  const trusted = (address: string | undefined) => (address ? ipMatches(proxies, address) : onSocket);
  const socketTrust = (address: string | undefined, hop: number) =>
    hop === 0 ? trusted(address) : !!address && ipMatches(proxies, address);
  return new FastifyAdapter({
    ...(tls ? { https: { cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' as const } } : {}),
    trustProxy: onSocket ? socketTrust : config.trustedProxies.length ? config.trustedProxies : false,
    bodyLimit: config.env.BODY_LIMIT_BYTES,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    logger: false,
    genReqId: (req: IncomingMessage) => requestIdFor(req, trusted),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: false },
    clientErrorHandler: answerClientError,
    // Router errors (a path parameter over maxParamLength, a malformed URL) answer in the one problem shape too.
    frameworkErrors: (err: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply) => {
      const body =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? problemBody(CoreErrorCode.URI_TOO_LONG, request.id)
          : problemBody(CoreErrorCode.BAD_REQUEST, request.id, 'The request URL is malformed.');
      void reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
    },
  });
}

const CLIENT_ERRORS: Record<string, CoreErrorCode> = {
  HPE_HEADER_OVERFLOW: CoreErrorCode.REQUEST_HEADERS_TOO_LARGE,
  ERR_HTTP_REQUEST_TIMEOUT: CoreErrorCode.REQUEST_TIMEOUT,
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
  const problem = problemBody(CLIENT_ERRORS[err.code ?? ''] ?? CoreErrorCode.BAD_REQUEST, 'none');
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
