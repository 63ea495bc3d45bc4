import { bootHttpApp, buildOpenApiDocument } from '@app/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { schema } from './schema';

export const API_VERSION = '0.1.0';

/** The OpenAPI document as the app generates it, without a database or a socket. */
export async function generateOpenApiDocument(): Promise<OpenAPIObject> {
  const { app, close } = await bootHttpApp((runtime) => AppModule.register(runtime), schema, {
    env: { NODE_ENV: 'development', LOG_LEVEL: 'silent', DATA_DIR: '.data' },
    offline: true,
    version: API_VERSION,
  });
  try {
    return buildOpenApiDocument(app, API_VERSION);
  } finally {
    await close();
  }
}

export function serialiseOpenApi(doc: OpenAPIObject): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
