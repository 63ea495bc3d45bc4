import { MigrationInterface, QueryRunner } from 'typeorm';

/** Events about one object (an API key's history), newest first. */
export class AuditTargetIndex1763900250000 implements MigrationInterface {
  name = 'AuditTargetIndex1763900250000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "idx_audit_events_target" ON "audit_events" ("target_type", "target_id", "id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "idx_audit_events_target"`);
  }
}
