import type { FastifyInstance } from 'fastify';
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  requestId: string;
  /** The client address as the trusted proxy saw it (Fastify `request.ip` with `trustProxy` from config). */
  ip?: string;
  userAgent?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The current request's id, IP and user agent, for audit rows written deep inside services. */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

export function runWithRequestContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/**
 * Runs each request's handling (Nest's guards, pipes, handler and filters, all inside the Fastify route handler) in
 * its request context: a synchronous `preHandler` hook, after the body is parsed (the body's stream events would
 * otherwise run outside it). A Fastify hook rather than Nest middleware: middleware goes through @fastify/middie on
 * every request.
 */
export function registerRequestContext(fastify: FastifyInstance): void {
  fastify.addHook('preHandler', (request, _reply, done) => {
    const ua = request.headers['user-agent'];
    storage.run({ requestId: request.id, ip: request.ip, userAgent: ua?.slice(0, 300) }, done);
  });
}
