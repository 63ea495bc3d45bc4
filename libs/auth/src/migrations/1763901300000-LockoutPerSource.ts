import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failed logins counted per (account, source) instead of per account (issue 18: no lock-anyone): `login_attempts`
 * replaces the counters on `users` and the `login_decoys` table; device tokens and the networks an account signed
 * in from make a source trusted; a session remembers the device it signed in with.
 */
export class LockoutPerSource1763901300000 implements MigrationInterface {
  name = 'LockoutPerSource1763901300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "login_attempts" (
        "subject" varchar(80) NOT NULL,
        "source" varchar(80) NOT NULL,
        "failed_attempts" int NOT NULL DEFAULT 0,
        "failed_window_start" timestamptz,
        "locked_until" timestamptz,
        "lock_level" int NOT NULL DEFAULT 0,
        PRIMARY KEY ("subject", "source")
      )`);
    await q.query(`
      CREATE TABLE "device_tokens" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
        "token_hash" char(64) NOT NULL,
        "created_at" timestamptz NOT NULL,
        "last_used_at" timestamptz NOT NULL,
        "expires_at" timestamptz NOT NULL,
        "revoked_at" timestamptz,
        CONSTRAINT "uq_device_tokens_hash" UNIQUE ("token_hash")
      )`);
    await q.query(`CREATE INDEX "idx_device_tokens_user" ON "device_tokens" ("user_id", "last_used_at")`);
    await q.query(`
      CREATE TABLE "known_sources" (
        "user_id" uuid NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
        "network" varchar(64) NOT NULL,
        "last_success_at" timestamptz NOT NULL,
        PRIMARY KEY ("user_id", "network")
      )`);
    await q.query(`ALTER TABLE "sessions" ADD COLUMN "device_id" uuid`);
    await q.query(`DROP TABLE "login_decoys"`);
    await q.query(
      `ALTER TABLE "users" DROP COLUMN "failed_attempts", DROP COLUMN "failed_window_start", DROP COLUMN "locked_until"`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "users" ADD COLUMN "failed_attempts" int NOT NULL DEFAULT 0, ADD COLUMN "failed_window_start" timestamptz, ADD COLUMN "locked_until" timestamptz`,
    );
    await q.query(`
      CREATE TABLE "login_decoys" (
        "address_hash" bytea PRIMARY KEY CHECK (octet_length("address_hash") = 32),
        "failed_attempts" int NOT NULL DEFAULT 0,
        "failed_window_start" timestamptz,
        "locked_until" timestamptz
      )`);
    await q.query(`ALTER TABLE "sessions" DROP COLUMN "device_id"`);
    await q.query(`DROP TABLE "known_sources"`);
    await q.query(`DROP TABLE "device_tokens"`);
    await q.query(`DROP TABLE "login_attempts"`);
  }
}
