import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';
import { CoreErrorCode, CoreException } from '../errors/core-error-codes';

const FORBIDDEN = /forbidden prototype property|forbidden constructor property/i;

/**
 * JSON bodies parsed with secure-json-parse: `__proto__` and `constructor.prototype` keys are refused with
 * 400 FORBIDDEN_PROPERTY, broken JSON with 400 MALFORMED_JSON (two codes so clients and tests can tell them apart).
 */
export function registerJsonBodyParser(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser(['application/json']);
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '')
      return done(
        new CoreException(CoreErrorCode.MALFORMED_JSON, 'The request body is empty but declared as JSON.'),
        undefined,
      );
    try {
      done(null, sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (err) {
      const forbidden = err instanceof Error && FORBIDDEN.test(err.message);
      done(
        forbidden
          ? new CoreException(
              CoreErrorCode.FORBIDDEN_PROPERTY,
              'Keys named __proto__ or constructor.prototype are not accepted.',
            )
          : new CoreException(CoreErrorCode.MALFORMED_JSON, 'The request body is not valid JSON.'),
        undefined,
      );
    }
  });
}
