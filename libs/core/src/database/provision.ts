import { Client } from 'pg';

export const EMBEDDED_DATABASE = 'security_backend';
export const EMBEDDED_OWNER_ROLE = 'sb_owner';
export const EMBEDDED_APP_ROLE = 'sb_app';
const PROVISION_LOCK_KEY = 727_271_000;

export interface ProvisionOptions {
  adminUrl: string;
  database: string;
  owner: { name: string; password: string };
  app: { name: string; password: string };
}

/**
 * Creates (idempotently) the schema-owner role, the row-only app role and the database owned by the former.
 * Used for the embedded server and by the test harness; in production the operator provisions roles.
 */
export async function provisionDatabase(opts: ProvisionOptions): Promise<void> {
  const admin = new Client({ connectionString: opts.adminUrl });
  await admin.connect();
  try {
    // Roles are cluster-wide: two processes provisioning at once (test workers, instances starting together) would
    // race between "does it exist" and CREATE/ALTER ROLE. One at a time.
    await admin.query('SELECT pg_advisory_lock($1)', [PROVISION_LOCK_KEY]);
    for (const role of [opts.owner, opts.app]) {
      const id = admin.escapeIdentifier(role.name); // sql-safe: ${id} and ${dbId} below are quoted identifiers
      const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role.name]);
      if (!exists.rowCount) await admin.query(`CREATE ROLE ${id} LOGIN`); // sql-safe: quoted identifier
      // sql-safe: a quoted identifier and a quoted literal
      await admin.query(
        `ALTER ROLE ${id} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${admin.escapeLiteral(role.password)}`,
      );
    }
    const db = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database]);
    const dbId = admin.escapeIdentifier(opts.database); // sql-safe: a quoted identifier, used below
    if (!db.rowCount) {
      // sql-safe: quoted identifiers
      await admin.query(
        `CREATE DATABASE ${dbId} OWNER ${admin.escapeIdentifier(opts.owner.name)} ENCODING 'UTF8' TEMPLATE template0`,
      );
    }
    await admin.query(`REVOKE ALL ON DATABASE ${dbId} FROM PUBLIC`); // sql-safe: quoted identifier
    // sql-safe: quoted identifiers
    await admin.query(
      `GRANT CONNECT, TEMPORARY ON DATABASE ${dbId} TO ${admin.escapeIdentifier(opts.owner.name)}, ${admin.escapeIdentifier(opts.app.name)}`,
    );
  } finally {
    await admin.end(); // ends the session, and with it the advisory lock
  }
}
