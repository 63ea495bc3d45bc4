import { migrate } from '@app/core';
import { schema } from '../../apps/api/src/schema';
import { adminQuery, createTestDatabase } from '../support/database';
import { assertTestDatabase } from '../support/test-env';

describe('migrations (real PostgreSQL)', () => {
  it('two instances migrating at once apply each migration exactly once', async () => {
    const db = await createTestDatabase({ entities: [], migrations: [], appendOnlyTables: [] });
    try {
      const results = await Promise.all([migrate(db.ownerUrl, db.appUrl, schema), migrate(db.ownerUrl, db.appUrl, schema)]);
      const applied = results.flatMap((r) => r.applied);
      expect(applied).toHaveLength(schema.migrations.length);
      expect(new Set(applied).size).toBe(applied.length);
      const rows = await adminQuery<{ count: string }>(db, 'SELECT count(*)::text AS count FROM migrations');
      expect(Number(rows[0].count)).toBe(schema.migrations.length);
      const tables = await adminQuery<{ tableowner: string }>(db, `SELECT tableowner FROM pg_tables WHERE tablename = 'audit_events'`);
      expect(tables[0].tableowner).toBe('sb_test_owner');
    } finally {
      await db.drop();
    }
  });

  it('the harness refuses a database whose name lacks "test"', () => {
    expect(() => assertTestDatabase('postgres://u@127.0.0.1:5432/production')).toThrow(/must contain "test"/);
    expect(() => assertTestDatabase('postgres://u@127.0.0.1:5432/sb_test_1')).not.toThrow();
  });
});
