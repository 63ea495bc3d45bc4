import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { generateOpenApiDocument, serialiseOpenApi } from './openapi-document';

/** `npm run openapi`: writes openapi.json at the repository root (a test fails when it drifts from the code). */
generateOpenApiDocument().then(
  (doc) => {
    writeFileSync('openapi.json', serialiseOpenApi(doc));
    process.stdout.write(`openapi.json written: ${Object.keys(doc.paths).length} paths\n`);
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`openapi: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
