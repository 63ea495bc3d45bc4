import type { FastifyInstance } from 'fastify';

/** The methods a route can be registered for here (Fastify adds HEAD beside each GET). */
const METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const;

/**
 * The methods the router serves for the path of `url`, sorted: empty when no route has that path at all. Used by the
 * not-found answer to tell 405 (a known path, another method; RFC 9110 §15.5.6, with `Allow`) from 404.
 */
export function allowedMethods(fastify: Pick<FastifyInstance, 'findRoute'>, url: string): string[] {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return METHODS.filter((method) => {
    const route = fastify.findRoute({ method, url: path });
    // findRoute matches an empty parameter (`/v1/api-keys/` for `/v1/api-keys/:id`) that request routing does not.
    return route !== null && Object.values(route.params ?? {}).every((value) => value !== '');
  });
}
