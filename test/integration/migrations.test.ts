import { randomBytes } from 'node:crypto';
import { migrate, provisionDatabase } from '@app/core';
import { Client } from 'pg';
import { harnessState } from '../support/test-env';
import { schema } from '../../apps/api/src/schema';
import { adminQuery, createTestDatabase } from '../support/database';
import { assertTestDatabase } from '../support/test-env';

describe('migrations (real PostgreSQL)', () => {
  it('two instances migrating at once apply each migration exactly once', async () => {
    const db = await createTestDatabase({ entities: [], migrations: [], appendOnlyTables: [] });
    try {
      const results = await Promise.all([
        migrate(db.ownerUrl, db.appUrl, schema),
        migrate(db.ownerUrl, db.appUrl, schema),
      ]);
      const applied = results.flatMap((r) => r.applied);
      expect(applied).toHaveLength(schema.migrations.length);
      expect(new Set(applied).size).toBe(applied.length);
      const rows = await adminQuery<{ count: string }>(db, 'SELECT count(*)::text AS count FROM migrations');
      expect(Number(rows[0].count)).toBe(schema.migrations.length);
      const tables = await adminQuery<{ tableowner: string }>(
        db,
        `SELECT tableowner FROM pg_tables WHERE tablename = 'audit_events'`,
      );
      expect(tables[0].tableowner).toBe('sb_test_owner');
    } finally {
      await db.drop();
    }
  });

  it('provisioning roles and databases from several processes at once is safe (roles are cluster-wide)', async () => {
    const { adminUrl } = harnessState();
    const tag = randomBytes(3).toString('hex');
    const owner = { name: `sb_race_owner_${tag}`, password: 'race-owner-password' };
    const app = { name: `sb_race_app_${tag}`, password: 'race-app-password' };
    const names = Array.from({ length: 6 }, (_, i) => `sb_test_race_${tag}_${i}`);
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      // All six create the same two roles at the same moment: before the advisory lock, this failed with
      // "duplicate key value violates unique constraint pg_authid_rolname_index".
      await Promise.all(names.map((database) => provisionDatabase({ adminUrl, database, owner, app })));
      const roles = await admin.query('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [[owner.name, app.name]]);
      expect(roles.rowCount).toBe(2);
    } finally {
      for (const n of names) await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(n)}`);
      await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(owner.name)}`);
      await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(app.name)}`);
      await admin.end();
    }
  });

  it('the harness refuses a database whose name lacks "test"', () => {
    expect(() => assertTestDatabase('postgres://u@127.0.0.1:5432/production')).toThrow(/must contain "test"/);
    expect(() => assertTestDatabase('postgres://u@127.0.0.1:5432/sb_test_1')).not.toThrow();
  });
});
