import { MigrationInterface, QueryRunner } from 'typeorm';

/** Counting recent mails of a kind to an address (the hourly limit on account mails) without a scan. */
export class OutboxRecipientIndex1763901000000 implements MigrationInterface {
  name = 'OutboxRecipientIndex1763901000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "idx_outbox_recipient_kind" ON "outbox_messages" ("recipient", "kind", "created_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "idx_outbox_recipient_kind"`);
  }
}
