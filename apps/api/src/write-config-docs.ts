import { readFileSync, writeFileSync } from 'node:fs';
import { envExample, GENERATED_DOCS } from './config-docs';

/** `npm run docs:config`: rewrites the generated tables (docs/configuration.md, docs/errors.md) and .env.example. */
for (const { file, update } of GENERATED_DOCS) writeFileSync(file, update(readFileSync(file, 'utf8')));
writeFileSync('.env.example', envExample());
process.stdout.write(`${GENERATED_DOCS.map((d) => d.file).join(', ')} and .env.example updated\n`);
