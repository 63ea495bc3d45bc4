import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';
import { CoreErrorCode, CoreException } from '../errors/core-error-codes';

const FORBIDDEN = /forbidden prototype property|forbidden constructor property/i;

/** The deepest nesting of objects and arrays a body may have: far beyond any DTO, far below any recursion limit. */
export const MAX_JSON_DEPTH = 32;
/**
 * The most object keys a body may hold, all objects together. Validating an unknown key costs ~20 µs (class-transformer
 * copies it, class-validator reports it): 12,700 of them in a 100 KiB login body took a quarter of a second of CPU,
 * unauthenticated. No DTO comes near; the largest free-form field (medicalInfo, 8 KiB) holds a few hundred keys.
 */
export const MAX_JSON_KEYS = 1000;

/**
 * What is wrong with the shape of a JSON text, measured without parsing it (one pass, no recursion, stops at the first
 * excess): nesting deeper than `maxDepth`, or more than `maxKeys` object keys. Brackets and colons inside strings are
 * text. Broken JSON is left to the parser to refuse.
 */
export function jsonShapeExcess(text: string, maxDepth: number, maxKeys: number): 'depth' | 'keys' | undefined {
  let depth = 0;
  let keys = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return 'depth';
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
    else if (c === 0x3a /* : */ && ++keys > maxKeys) return 'keys';
  }
  return undefined;
}

/** `charset` absent or UTF-8 (RFC 8259 §8.1: JSON exchanged between systems is UTF-8); anything else is refused. */
function charsetIsUtf8(contentType: string | undefined): boolean {
  const match = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType ?? '');
  return !match || /^utf-?8$/i.test(match[1]);
}

/**
 * The only body parser: JSON, parsed with secure-json-parse. Every other media type (Fastify's built-in text/plain
 * included) is 415 UNSUPPORTED_MEDIA_TYPE, as is JSON declared in a charset other than UTF-8. Bodies nested deeper
 * than {@link MAX_JSON_DEPTH} are 400 JSON_TOO_DEEP before anything walks them (class-transformer and
 * class-validator recurse), bodies with more than {@link MAX_JSON_KEYS} keys 400 JSON_TOO_MANY_KEYS; `__proto__` and `constructor.prototype` keys 400 FORBIDDEN_PROPERTY; broken JSON
 * 400 MALFORMED_JSON.
 */
export function registerJsonBodyParser(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (!charsetIsUtf8(req.headers['content-type']))
      return done(
        new CoreException(CoreErrorCode.UNSUPPORTED_MEDIA_TYPE, 'JSON bodies must be UTF-8 (application/json).'),
        undefined,
      );
    const text = String(body);
    if (text.trim() === '')
      return done(
        new CoreException(CoreErrorCode.MALFORMED_JSON, 'The request body is empty but declared as JSON.'),
        undefined,
      );
    const excess = jsonShapeExcess(text, MAX_JSON_DEPTH, MAX_JSON_KEYS);
    if (excess)
      return done(
        excess === 'depth'
          ? new CoreException(
              CoreErrorCode.JSON_TOO_DEEP,
              `The request body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels.`,
            )
          : new CoreException(
              CoreErrorCode.JSON_TOO_MANY_KEYS,
              `The request body holds more than ${MAX_JSON_KEYS} object keys in all.`,
            ),
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
