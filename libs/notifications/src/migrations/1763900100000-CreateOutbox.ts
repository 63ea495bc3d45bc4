import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOutbox1763900100000 implements MigrationInterface {
  name = 'CreateOutbox1763900100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "outbox_messages" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "channel" varchar(16) NOT NULL CHECK ("channel" IN ('email', 'webhook')),
        "kind" varchar(64) NOT NULL,
        "recipient" varchar(320) NOT NULL,
        "subject" varchar(200),
        "body" text NOT NULL,
        "payload" jsonb NOT NULL DEFAULT '{}'::jsonb,
        "status" varchar(16) NOT NULL DEFAULT 'pending' CHECK ("status" IN ('pending', 'delivered', 'failed')),
        "attempts" int NOT NULL DEFAULT 0,
        "next_attempt_at" timestamptz NOT NULL,
        "delivered_at" timestamptz,
        "last_error" varchar(500),
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX "idx_outbox_due" ON "outbox_messages" ("status", "next_attempt_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "outbox_messages"`);
  }
}
