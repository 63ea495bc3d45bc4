import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Chain version 2: a row's hash covers a salted digest of its personal data (actor, target, IP, user agent,
 * details) instead of the data itself, so erasure can overwrite that data (and mark the row redacted) while the chain
 * still verifies. Rows written before stay version 1 and are verified as before.
 */
export class AuditChainV21763900600000 implements MigrationInterface {
  name = 'AuditChainV21763900600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_events" ADD "chain_version" smallint NOT NULL DEFAULT 1`);
    await q.query(`ALTER TABLE "audit_events" ADD "pii_salt" varchar(32)`);
    await q.query(`ALTER TABLE "audit_events" ADD "pii_digest" char(64)`);
    await q.query(`ALTER TABLE "audit_events" ADD "redacted_at" timestamptz`);
    await q.query(
      `ALTER TABLE "audit_events" ADD CONSTRAINT "ck_audit_events_v2" CHECK ("chain_version" = 1 OR "pii_digest" IS NOT NULL)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_events" DROP CONSTRAINT "ck_audit_events_v2"`);
    for (const c of ['redacted_at', 'pii_digest', 'pii_salt', 'chain_version'])
      await q.query(`ALTER TABLE "audit_events" DROP COLUMN "${c}"`); // sql-safe: column names from the list above
  }
}
