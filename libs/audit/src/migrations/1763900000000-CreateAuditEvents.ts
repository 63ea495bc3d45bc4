import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAuditEvents1763900000000 implements MigrationInterface {
  name = 'CreateAuditEvents1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE "audit_events_id_seq" AS bigint`);
    await q.query(`
      CREATE TABLE "audit_events" (
        "id" bigint PRIMARY KEY,
        "occurred_at" timestamptz NOT NULL,
        "actor_type" varchar(16) NOT NULL,
        "actor_id" varchar(64),
        "action" varchar(64) NOT NULL,
        "target_type" varchar(32),
        "target_id" varchar(64),
        "outcome" varchar(16) NOT NULL CHECK ("outcome" IN ('success', 'failure', 'denied')),
        "ip" varchar(45),
        "user_agent" varchar(300),
        "request_id" varchar(128),
        "details" jsonb NOT NULL DEFAULT '{}'::jsonb,
        "prev_hash" char(64) NOT NULL,
        "hash" char(64) NOT NULL
      )`);
    await q.query(`CREATE INDEX "idx_audit_events_actor" ON "audit_events" ("actor_id", "id")`);
    await q.query(`CREATE INDEX "idx_audit_events_action" ON "audit_events" ("action", "id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "audit_events"`);
    await q.query(`DROP SEQUENCE "audit_events_id_seq"`);
  }
}
