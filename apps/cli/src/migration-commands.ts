import { pendingSchemaSql, revertLast } from '@app/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { schema } from '../../api/src/schema';
import { CLI_NAME, cliRuntime } from './cli-runtime';

const USAGE: Record<string, [synopsis: string, what: string]> = {
  'migration:run': ['migration:run', 'Apply pending migrations (start does it too)'],
  'migration:revert': ['migration:revert', 'Revert the most recent migration'],
  'migration:generate': ['migration:generate <Name> --lib <lib>', 'Write a migration: entities vs database'],
};

/** Listed after the other commands in `--help`. */
export const MIGRATION_COMMANDS_HELP = `Schema commands (on the schema owner's connection; no --json):\n${Object.values(
  USAGE,
)
  .map(([synopsis, what]) => `  ${synopsis.padEnd(39)}${what}`)
  .join('\n')}\n`;

/** `migration:<x> --help`: its usage, and nothing run. */
export function migrationUsage(command: string): string {
  const usage = USAGE[command];
  if (!usage) throw new Error(`unknown command ${command}; schema commands: ${Object.keys(USAGE).join(', ')}`);
  return `Usage: ${CLI_NAME} ${usage[0]}\n\n${usage[1]}\n`;
}

/**
 * `migration:run|revert|generate` work on the schema owner connection and need no Nest container.
 * `generate <Name> --lib <lib>` writes the SQL that brings the database in line with the entities.
 */
export async function runMigrationCommand(command: string, args: string[]): Promise<void> {
  migrationUsage(command); // unknown commands stop here, before any database is touched
  if (command !== 'migration:generate' && args.length)
    throw new Error(`${command} takes no arguments (got ${args[0].slice(0, 40)})`);
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
