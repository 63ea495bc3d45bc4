import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateEncryptionCounters1763900400000 implements MigrationInterface {
  name = 'CreateEncryptionCounters1763900400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "encryption_counters" (
        "key_version" int PRIMARY KEY CHECK ("key_version" > 0),
        "encryptions" bigint NOT NULL DEFAULT 0 CHECK ("encryptions" >= 0),
        "updated_at" timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "encryption_counters"`);
  }
}
