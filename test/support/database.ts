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

function withDatabase(url: string, database: string, user?: { name: string; password: string }): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (user) {
    u.username = user.name;
    u.password = user.password;
  }
  return u.toString();
}

/** A fresh database for one test file: created, owned by the owner role, migrated, app role granted. */
export async function createTestDatabase(schema: SchemaParts = appSchema): Promise<TestDatabase> {
  const { adminUrl } = harnessState();
  const name = `sb_test_${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(4).toString('hex')}`;
  assertTestDatabase(withDatabase(adminUrl, name));
  await provisionDatabase({ adminUrl, database: name, owner: TEST_OWNER, app: TEST_APP });
  const ownerUrl = withDatabase(adminUrl, name, TEST_OWNER);
  const appUrl = withDatabase(adminUrl, name, TEST_APP);
  await migrate(ownerUrl, appUrl, schema);
  return {
    name,
    appUrl,
    ownerUrl,
    adminUrl: withDatabase(adminUrl, name),
    drop: async () => {
      const admin = new Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** Runs one query as superuser on a test database (tampering, inspection). */
export async function adminQuery<T = Record<string, unknown>>(
  db: TestDatabase,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: db.adminUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
