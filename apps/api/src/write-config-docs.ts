import { readFileSync, writeFileSync } from 'node:fs';
import { envExample, withConfigTable } from './config-docs';

/** `npm run docs:config`: rewrites README's configuration table and .env.example from the config schema. */
writeFileSync('README.md', withConfigTable(readFileSync('README.md', 'utf8')));
writeFileSync('.env.example', envExample());
process.stdout.write('README.md configuration table and .env.example updated\n');
