import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { allErrorCodes } from '../errors/error-registry';
import { addCommonProblems, PUBLIC_OPERATION } from './api-problems';

export const SESSION_SECURITY = 'session';
export const API_KEY_SECURITY = 'apiKey';

/**
 * One Swagger UI tag per bounded context, in display order (like the scope catalogue, the list lives in core).
 * Controllers name theirs with `@ApiTags`; a test fails when an operation uses a tag not listed here, or a tag is unused.
 */
export const API_TAGS: ReadonlyArray<{ name: string; description: string }> = [
  {
    name: 'auth',
    description:
      'Registration, login, sessions, password change and reset, email verification; user administration (libs/auth)',
  },
  {
    name: 'mfa',
    description:
      'Second factors: authenticator apps (TOTP), recovery codes, the second step of a login, assurance levels; the admin reset (libs/mfa)',
  },
  {
    name: 'api-keys',
    description:
      'Issue, list, rotate and revoke API keys; verify a key, usage statistics, the hygiene report (libs/api-keys)',
  },
  {
    name: 'crypto',
    description: 'AES-256-GCM encryption with associated data, HMAC, and the versioned keyring (libs/encryption)',
  },
  {
    name: 'profiles',
    description: 'User profiles: personal data encrypted per field, masked unless revealed (libs/profiles)',
  },
  {
    name: 'certificates',
    description:
      'TLS certificate inventory from PEM, files and live endpoints, with checks and alerts (libs/certificates)',
  },
  {
    name: 'audit',
    description: 'The hash-chained audit log: events, the NDJSON export, a person’s security activity (libs/audit)',
  },
  { name: 'system', description: 'Health probes, the scope catalogue and scheduled jobs (libs/core)' },
];

/** Builds the OpenAPI document from the app's routes. Deterministic, so the committed file can be diffed. */
export function buildOpenApiDocument(app: INestApplication, version: string): OpenAPIObject {
  const codes = allErrorCodes()
    .map(([code, def]) => `| \`${code}\` | ${def.status} | ${def.title} |`)
    .join('\n');
  const builder = new DocumentBuilder()
    .setTitle('Security backend')
    .setDescription(
      [
        'Registration and login, API keys, encryption of personal data at rest and TLS certificate monitoring.',
        '',
        'Errors are RFC 9457 `application/problem+json` documents with a stable `code` and a `requestId`:',
        '',
        '| code | status | title |',
        '|---|---|---|',
        codes,
      ].join('\n'),
    )
    .setVersion(version)
    // Relative: the document describes the service that serves it, wherever that is deployed.
    .addServer('/', 'The service that serves this document')

    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'opaque session token or sk_ API key',
        description: 'A session token from POST /v1/auth/login, or an API key (sk_live_…)',
      },
      SESSION_SECURITY,
    )
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key (sk_live_… / sk_test_…)' },
      API_KEY_SECURITY,
    );
  for (const tag of API_TAGS) builder.addTag(tag.name, tag.description);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}`,
  });
  addCommonProblems(document);
  markPublicOperations(document);
  // package.json says UNLICENSED (npm: proprietary, no rights granted); the URL is what npm means by it.
  document.info.license = {
    name: 'UNLICENSED (proprietary)',
    url: 'https://docs.npmjs.com/cli/v11/configuring-npm/package-json#license',
  };
  return document;
}

/** Public operations say so (`security: []`), so a generator or linter does not take them for forgotten ones. */
function markPublicOperations(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const op of [item.get, item.put, item.post, item.delete, item.patch]) {
      if (!op) continue;
      const marked = op as typeof op & Record<string, unknown>;
      if (!marked[PUBLIC_OPERATION]) continue;
      delete marked[PUBLIC_OPERATION];
      op.security = [];
    }
  }
}

export function serveSwaggerUi(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    raw: ['json'],
    customSiteTitle: 'Security backend API',
    swaggerOptions: { persistAuthorization: false, displayRequestDuration: true, tryItOutEnabled: false },
  });
}
