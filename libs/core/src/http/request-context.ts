import { Injectable, NestMiddleware } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';

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

@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  use(req: IncomingMessage & { id?: string; ip?: string }, _res: ServerResponse, next: () => void): void {
    const ua = req.headers['user-agent'];
    storage.run(
      { requestId: String(req.id ?? ''), ip: req.ip, userAgent: typeof ua === 'string' ? ua.slice(0, 300) : undefined },
      next,
    );
  }
}
