import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateProfiles1763900500000 implements MigrationInterface {
  name = 'CreateProfiles1763900500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "profiles" (
        "user_id" uuid PRIMARY KEY REFERENCES "users"("id") ON DELETE CASCADE,
        "display_name" varchar(100),
        "phone" varchar(32),
        "address" varchar(300),
        "date_of_birth" date,
        "ssn_ct" text,
        "ssn_last4" varchar(4),
        "ssn_blind_index" varchar(64),
        "card_ct" text,
        "card_last4" varchar(4),
        "medical_ct" text,
        "key_version" int NOT NULL,
        "integrity_mac" varchar(80) NOT NULL,
        "updated_at" timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX "idx_profiles_ssn_blind" ON "profiles" ("ssn_blind_index")`);
    await q.query(`CREATE INDEX "idx_profiles_key_version" ON "profiles" ("key_version")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "profiles"`);
  }
}
