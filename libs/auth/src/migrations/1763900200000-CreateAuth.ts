import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAuth1763900200000 implements MigrationInterface {
  name = 'CreateAuth1763900200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "users" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "email" varchar(254) NOT NULL,
        "username" varchar(32) NOT NULL,
        "password_hash" varchar(255) NOT NULL,
        "role" varchar(16) NOT NULL DEFAULT 'user' CHECK ("role" IN ('user', 'admin')),
        "scopes" text[] NOT NULL DEFAULT '{}',
        "email_verified_at" timestamptz,
        "password_changed_at" timestamptz NOT NULL,
        "failed_attempts" int NOT NULL DEFAULT 0,
        "failed_window_start" timestamptz,
        "locked_until" timestamptz,
        "disabled_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        "version" int NOT NULL DEFAULT 1,
        CONSTRAINT "uq_users_email" UNIQUE ("email"),
        CONSTRAINT "uq_users_username" UNIQUE ("username"),
        CONSTRAINT "ck_users_email_normalised" CHECK ("email" = lower(btrim("email"))),
        CONSTRAINT "ck_users_username" CHECK ("username" ~ '^[a-z0-9_.-]{3,32}$')
      )`);
    await q.query(`
      CREATE TABLE "sessions" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
        "token_hash" char(64) NOT NULL,
        "created_at" timestamptz NOT NULL,
        "last_seen_at" timestamptz NOT NULL,
        "expires_at" timestamptz NOT NULL,
        "ip" varchar(45),
        "user_agent" varchar(300),
        "revoked_at" timestamptz,
        CONSTRAINT "uq_sessions_token_hash" UNIQUE ("token_hash")
      )`);
    await q.query(`CREATE INDEX "idx_sessions_user" ON "sessions" ("user_id", "created_at")`);
    await q.query(`
      CREATE TABLE "email_tokens" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
        "purpose" varchar(32) NOT NULL CHECK ("purpose" IN ('verify_email', 'reset_password')),
        "token_hash" char(64) NOT NULL,
        "expires_at" timestamptz NOT NULL,
        "used_at" timestamptz,
        "created_at" timestamptz NOT NULL,
        CONSTRAINT "uq_email_tokens_hash" UNIQUE ("token_hash")
      )`);
    await q.query(`CREATE INDEX "idx_email_tokens_user" ON "email_tokens" ("user_id", "purpose")`);
    await q.query(`
      CREATE TABLE "login_throttles" (
        "ip" varchar(45) PRIMARY KEY,
        "failures" int NOT NULL,
        "window_start" timestamptz NOT NULL,
        "blocked_until" timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "login_throttles"`);
    await q.query(`DROP TABLE "email_tokens"`);
    await q.query(`DROP TABLE "sessions"`);
    await q.query(`DROP TABLE "users"`);
  }
}
