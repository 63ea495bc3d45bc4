import { pendingSchemaSql, revertLast } from '@app/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { schema } from '../../api/src/schema';
import { cliRuntime } from './cli-runtime';

/**
 * `migration:run|revert|generate` work on the schema owner connection and need no Nest container.
 * `generate <Name> --lib <lib>` writes the SQL that brings the database in line with the entities.
 */
export async function runMigrationCommand(command: string, args: string[]): Promise<void> {
  if (command === 'migration:run') {
    const rt = await cliRuntime({ migrate: true });
    process.stdout.write('migrations applied\n');
    await rt.database.embedded?.stop();
    return;
  }
  const rt = await cliRuntime({ migrate: false });
  try {
    if (command === 'migration:revert') {
      await revertLast(rt.database.ownerUrl, schema);
      process.stdout.write('last migration reverted\n');
    } else if (command === 'migration:generate') {
      const name = args.find((a) => !a.startsWith('--'));
      const libIndex = args.indexOf('--lib');
      const lib = libIndex >= 0 ? args[libIndex + 1] : undefined;
      if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name) || !lib || !/^[a-z-]+$/.test(lib)) {
        throw new Error('usage: npm run migration:generate -- <PascalCaseName> --lib <lib>');
      }
      const { up, down } = await pendingSchemaSql(rt.database.ownerUrl, schema);
      if (!up.length) {
        process.stdout.write('no changes: the schema matches the entities\n');
        return;
      }
      const ts = Date.now();
      const cls = `${name}${ts}`;
      const esc = (sql: string) => sql.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
      const body = [
        `import { MigrationInterface, QueryRunner } from 'typeorm';`,
        ``,
        `export class ${cls} implements MigrationInterface {`,
        `  name = '${cls}';`,
        ``,
        `  async up(q: QueryRunner): Promise<void> {`,
        ...up.map((s) => `    await q.query(\`${esc(s)}\`);`),
        `  }`,
        ``,
        `  async down(q: QueryRunner): Promise<void> {`,
        ...down.map((s) => `    await q.query(\`${esc(s)}\`);`),
        `  }`,
        `}`,
        ``,
      ].join('\n');
      const dir = join('libs', lib, 'src', 'migrations');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${ts}-${name}.ts`);
      writeFileSync(file, body);
      process.stdout.write(`wrote ${file}; add it to the lib's schema parts in index.ts\n`);
    } else {
      throw new Error(`unknown command ${command}`);
    }
  } finally {
    await rt.database.embedded?.stop();
  }
}
