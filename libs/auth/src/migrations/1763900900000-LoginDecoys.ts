import { MigrationInterface, QueryRunner } from 'typeorm';

/** Lockout rows that stand in for accounts that do not exist (see LoginDecoy). */
export class LoginDecoys1763900900000 implements MigrationInterface {
  name = 'LoginDecoys1763900900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "login_decoys" (
        "slot" smallint PRIMARY KEY CHECK ("slot" >= 0 AND "slot" < 256),
        "failed_attempts" int NOT NULL DEFAULT 0,
        "failed_window_start" timestamptz,
        "locked_until" timestamptz
      )`);
    await q.query(`INSERT INTO "login_decoys" ("slot") SELECT generate_series(0, 255)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "login_decoys"`);
  }
}
