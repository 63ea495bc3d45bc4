import { MigrationInterface, QueryRunner } from 'typeorm';

/** Lockout rows that stand in for addresses without an account (see LoginDecoy). */
export class LoginDecoys1763900900000 implements MigrationInterface {
  name = 'LoginDecoys1763900900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "login_decoys" (
        "address_hash" bytea PRIMARY KEY CHECK (octet_length("address_hash") = 32),
        "failed_attempts" int NOT NULL DEFAULT 0,
        "failed_window_start" timestamptz,
        "locked_until" timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "login_decoys"`);
  }
}
