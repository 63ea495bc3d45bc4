import { DataSource } from 'typeorm';
import type { SchemaParts } from './schema-parts';

/** Arbitrary constant: the advisory lock under which migrations run, so concurrent starts are safe. */
export const MIGRATION_LOCK_KEY = 727_271_001;

export function userOf(url: string): string {
  return decodeURIComponent(new URL(url).username);
}

export interface MigrateResult {
  applied: string[];
}

/**
 * Runs pending migrations as the schema owner under a PostgreSQL advisory lock, then grants the app role
 * row access (SELECT/INSERT/UPDATE/DELETE, none on append-only tables beyond SELECT/INSERT) and no DDL.
 */
function ownerDataSource(ownerUrl: string, schema: SchemaParts): DataSource {
  return new DataSource({
    type: 'postgres',
    url: ownerUrl,
    entities: schema.entities,
    migrations: schema.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { max: 2, connectionTimeoutMillis: 10_000 },
  });
}

/** Runs `fn` on an owner connection while holding the migration advisory lock on a dedicated session. */
async function withMigrationLock<T>(
  ownerUrl: string,
  schema: SchemaParts,
  fn: (ds: DataSource) => Promise<T>,
): Promise<T> {
  const ds = ownerDataSource(ownerUrl, schema);
  await ds.initialize();
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await fn(ds);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
    await ds.destroy();
  }
}

/**
 * Runs pending migrations as the schema owner under a PostgreSQL advisory lock, then grants the app role
 * row access (SELECT/INSERT/UPDATE/DELETE; only SELECT/INSERT on append-only tables, only SELECT on read-only ones)
 * and no DDL.
 */
export function migrate(ownerUrl: string, appUrl: string, schema: SchemaParts): Promise<MigrateResult> {
  return withMigrationLock(ownerUrl, schema, async (ds) => {
    const applied = await ds.runMigrations({ transaction: 'each' });
    await grantAppRole(
      ds,
      userOf(ownerUrl),
      userOf(appUrl),
      schema.appendOnlyTables,
      schema.redactableColumns ?? {},
      schema.readOnlyTables ?? [],
    );
    return { applied: applied.map((m) => m.name) };
  });
}

export function revertLast(ownerUrl: string, schema: SchemaParts): Promise<void> {
  return withMigrationLock(ownerUrl, schema, (ds) => ds.undoLastMigration({ transaction: 'each' }));
}

/** SQL that would bring the schema in line with the entities (for `migration:generate`). */
export function pendingSchemaSql(ownerUrl: string, schema: SchemaParts): Promise<{ up: string[]; down: string[] }> {
  return withMigrationLock(ownerUrl, schema, async (ds) => {
    await ds.runMigrations({ transaction: 'each' });
    const sql = await ds.driver.createSchemaBuilder().log();
    return {
      up: sql.upQueries.map((q) => q.query),
      down: sql.downQueries.map((q) => q.query).reverse(),
    };
  });
}

async function grantAppRole(
  ds: DataSource,
  owner: string,
  app: string,
  appendOnly: string[],
  redactable: Record<string, string[]>,
  readOnly: string[],
): Promise<void> {
  if (owner === app) return;
  const q = (id: string) => `"${id.replace(/"/g, '""')}"`;
  await ds.transaction(async (em) => {
    await em.query(`GRANT USAGE ON SCHEMA public TO ${q(app)}`);
    await em.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${q(app)}`);
    await em.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${q(app)}`);
    await em.query(`REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM ${q(app)}`);
    for (const table of appendOnly) {
      await em.query(`REVOKE UPDATE, DELETE ON ${q(table)} FROM ${q(app)}`);
      const columns = redactable[table] ?? [];
      // sql-safe: column names from the schema parts in code, each quoted by q().
      if (columns.length) await em.query(`GRANT UPDATE (${columns.map(q).join(', ')}) ON ${q(table)} TO ${q(app)}`);
    }
    for (const table of readOnly) await em.query(`REVOKE INSERT, UPDATE, DELETE ON ${q(table)} FROM ${q(app)}`);
  });
}
