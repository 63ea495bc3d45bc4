import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { allErrorCodes } from '../errors/error-registry';
import { addCommonProblems } from './api-problems';

export const SESSION_SECURITY = 'session';
export const API_KEY_SECURITY = 'apiKey';

/** Builds the OpenAPI document from the app's routes. Deterministic, so the committed file can be diffed. */
export function buildOpenApiDocument(app: INestApplication, version: string): OpenAPIObject {
  const codes = allErrorCodes()
    .map(([code, def]) => `| \`${code}\` | ${def.status} | ${def.title} |`)
    .join('\n');
  const config = new DocumentBuilder()
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
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque session token or sk_ API key', description: 'A session token from POST /v1/auth/login, or an API key (sk_live_…)' }, SESSION_SECURITY)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key (sk_live_… / sk_test_…)' }, API_KEY_SECURITY)
    .build();
  const document = SwaggerModule.createDocument(app, config, { operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}` });
  addCommonProblems(document);
  return document;
}

export function serveSwaggerUi(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    raw: ['json'],
    customSiteTitle: 'Security backend API',
    swaggerOptions: { persistAuthorization: false, displayRequestDuration: true, tryItOutEnabled: false },
  });
}
