import type { FastifyInstance } from 'fastify';
import { CoreErrorCode, CoreException } from '../errors/core-error-codes';

const CREDENTIAL_PARAM =
  /^(access[_-]?token|token|api[_-]?key|apikey|key|session|password|secret|auth|authorization|bearer)$/i;
/**
 * A key's secret follows its public prefix (`sk_live_<id>_<secret>`): a value reaching past the prefix is refused. The
 * prefix alone is shown in every key listing and is searched for (`GET /v1/api-keys?q=sk_live_VVKj`), so it may pass.
 */
const CREDENTIAL_VALUE = /\bsk_(live|test)_[0-9A-Za-z]{0,16}_/;

/** Refuses requests that carry a credential in the query string (it would end up in logs and proxies). */
export function refuseCredentialsInUrl(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (request) => {
    const url = request.raw.url ?? '';
    const q = url.indexOf('?');
    if (q < 0) return;
    const params = new URLSearchParams(url.slice(q + 1));
    for (const [name, value] of params) {
      if (CREDENTIAL_PARAM.test(name) || CREDENTIAL_VALUE.test(value)) {
        throw new CoreException(
          CoreErrorCode.CREDENTIALS_IN_URL,
          'Send credentials in the Authorization header, never in the URL.',
        );
      }
    }
  });
}
