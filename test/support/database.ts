import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { migrate, provisionDatabase, SchemaParts } from '@app/core';
import { schema as appSchema } from '../../apps/api/src/schema';
import { assertTestDatabase, harnessState } from './test-env';

export const TEST_OWNER = { name: 'sb_test_owner', password: 'test-owner-password' };
export const TEST_APP = { name: 'sb_test_app', password: 'test-app-password' };

export interface TestDatabase {
  name: string;
  appUrl: string;
  ownerUrl: string;
  /** Superuser connection to this database, for tampering in tests. */
  adminUrl: string;
  drop(): Promise<void>;
}

export function withDatabase(url: string, database: string, user?: { name: string; password: string }): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (user) {
    u.username = user.name;
    u.password = user.password;
  }
  return u.toString();
}

async function asAdmin<T>(adminUrl: string, fn: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** This worker's wait for the run's template (one promise per worker: the template is made once per run). */
let template: Promise<void> | undefined;

/**
 * The run's migrated template database (its name comes from global setup), made by the first test file that needs a
 * database while the others wait on an advisory lock. It is built under another name and renamed when complete, so a
 * worker that dies half-way leaves no half-migrated template behind; nobody may connect to it afterwards.
 */
function ensureTemplate(adminUrl: string, name: string): Promise<void> {
  template ??= asAdmin(adminUrl, async (admin) => {
    // Advisory locks live in the database the admin is connected to: every worker of the run uses the same one.
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    const done = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (done.rowCount) return; // made by another worker; the lock ends with the session
    const building = `${name}_building`;
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(building)} WITH (FORCE)`);
    await provisionDatabase({ adminUrl, database: building, owner: TEST_OWNER, app: TEST_APP });
    await migrate(withDatabase(adminUrl, building, TEST_OWNER), withDatabase(adminUrl, building, TEST_APP), appSchema);
    // PostgreSQL waits (up to 5 s) for the migration's closing sessions to go before it renames.
    await admin.query(`ALTER DATABASE ${admin.escapeIdentifier(building)} RENAME TO ${admin.escapeIdentifier(name)}`);
    await admin.query(`ALTER DATABASE ${admin.escapeIdentifier(name)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
  });
  // A failure is not cached: the next test file tries again (and fails with the cause).
  template.catch(() => (template = undefined));
  return template;
}

/**
 * A fresh database for one test file, owned by the owner role, migrated, app role granted. With the app's schema it
 * is a copy of the run's migrated template (`CREATE DATABASE … TEMPLATE`, tens of milliseconds instead of a migration
 * run); with any other schema it is provisioned and migrated from scratch.
 */
export async function createTestDatabase(schema: SchemaParts = appSchema): Promise<TestDatabase> {
  const { adminUrl, templateDb } = harnessState();
  const name = `sb_test_${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(4).toString('hex')}`;
  assertTestDatabase(withDatabase(adminUrl, name));
  const ownerUrl = withDatabase(adminUrl, name, TEST_OWNER);
  const appUrl = withDatabase(adminUrl, name, TEST_APP);
  if (schema === appSchema && templateDb) {
    assertTestDatabase(withDatabase(adminUrl, templateDb));
    await ensureTemplate(adminUrl, templateDb);
    await asAdmin(adminUrl, async (admin) => {
      const db = admin.escapeIdentifier(name);
      const [owner, app] = [TEST_OWNER, TEST_APP].map((r) => admin.escapeIdentifier(r.name));
      // Objects and their grants come with the copy; the database's own owner and ACL do not: set as provisioning does.
      await admin.query(`CREATE DATABASE ${db} TEMPLATE ${admin.escapeIdentifier(templateDb)} OWNER ${owner}`);
      await admin.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
      await admin.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${owner}, ${app}`);
    });
  } else {
    await provisionDatabase({ adminUrl, database: name, owner: TEST_OWNER, app: TEST_APP });
    await migrate(ownerUrl, appUrl, schema);
  }
  return {
    name,
    appUrl,
    ownerUrl,
    adminUrl: withDatabase(adminUrl, name),
    drop: () =>
      asAdmin(adminUrl, async (admin) => {
        await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
      }),
  };
}

/** Runs one query as superuser on a test database (tampering, inspection). */
export async function adminQuery<T = Record<string, unknown>>(
  db: TestDatabase,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  return asAdmin(db.adminUrl, async (client) => (await client.query(sql, params)).rows as T[]);
}
