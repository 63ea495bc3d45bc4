import helmet, { type HelmetOptions } from 'helmet';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * helmet: HSTS, nosniff, frame-ancestors 'none', no referrer, and a CSP that still lets Swagger UI run
 * (its scripts are same-origin files; it needs inline styles and data: images).
 */
export const HELMET_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  strictTransportSecurity: { maxAge: 63072000, includeSubDomains: true, preload: false },
  referrerPolicy: { policy: 'no-referrer' },
  crossOriginEmbedderPolicy: false,
  frameguard: { action: 'deny' },
};

const PERMISSIONS_POLICY = 'camera=(), microphone=(), geolocation=(), payment=(), usb=()';

/**
 * The headers helmet sets with `options`, computed once: helmet's middleware is run against a recording response.
 * Nothing in them depends on the request (no CSP nonces are used), so every answer can carry the same set.
 */
export function helmetHeaders(options: Readonly<HelmetOptions> = HELMET_OPTIONS): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
    getHeader(name: string) {
      return headers[name.toLowerCase()];
    },
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  return headers;
}

/**
 * The security headers on every answer (404s and problems included), precomputed at start-up and set by one
 * synchronous `onRequest` hook: `@fastify/helmet` builds helmet's middleware, and re-parses the CSP directives, on
 * every request (one of the largest items in the profile of a GET). `cache-control: no-store` unless a handler sets
 * its own; `permissions-policy` denies the powerful features.
 */
export function registerSecurityHeaders(
  fastify: FastifyInstance,
  options: Readonly<HelmetOptions> = HELMET_OPTIONS,
): void {
  const headers: Record<string, string> = {
    ...helmetHeaders(options),
    'permissions-policy': PERMISSIONS_POLICY,
    'cache-control': 'no-store',
  };
  const names = Object.keys(headers);
  const values = names.map((n) => headers[n]);
  fastify.addHook('onRequest', (_request, reply, done) => {
    for (let i = 0; i < names.length; i++) reply.header(names[i], values[i]);
    done();
  });
}
