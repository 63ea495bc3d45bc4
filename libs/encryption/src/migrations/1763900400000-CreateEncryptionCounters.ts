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
    // Key versions retired at run time (the highest retired version; 0: none). One row.
    await q.query(`
      CREATE TABLE "keyring_state" (
        "id" int PRIMARY KEY CHECK ("id" = 1),
        "retired_through" int NOT NULL DEFAULT 0 CHECK ("retired_through" >= 0),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO "keyring_state" ("id") VALUES (1)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "keyring_state"`);
    await q.query(`DROP TABLE "encryption_counters"`);
  }
}
