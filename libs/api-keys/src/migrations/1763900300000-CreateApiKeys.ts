import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateApiKeys1763900300000 implements MigrationInterface {
  name = 'CreateApiKeys1763900300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "api_keys" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "key_id" varchar(16) NOT NULL,
        "owner_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
        "name" varchar(100) NOT NULL,
        "environment" varchar(8) NOT NULL CHECK ("environment" IN ('live', 'test')),
        "hash" varchar(255) NOT NULL,
        "scopes" text[] NOT NULL,
        "ip_allowlist" text[] NOT NULL DEFAULT '{}',
        "rate_limit" int CHECK ("rate_limit" > 0),
        "rate_window_seconds" int CHECK ("rate_window_seconds" > 0),
        "quota_remaining" int CHECK ("quota_remaining" >= 0),
        "quota_refill_amount" int CHECK ("quota_refill_amount" > 0),
        "quota_refill_interval" varchar(8) CHECK ("quota_refill_interval" IN ('day', 'month')),
        "quota_refilled_at" timestamptz,
        "status" varchar(16) NOT NULL CHECK ("status" IN ('active', 'rotating', 'revoked', 'expired')),
        "created_at" timestamptz NOT NULL,
        "updated_at" timestamptz NOT NULL,
        "expires_at" timestamptz,
        "grace_ends_at" timestamptz,
        "revoked_at" timestamptz,
        "revoked_reason" varchar(32),
        "rotated_from" uuid,
        "rotated_to" uuid,
        "last_used_at" timestamptz,
        "last_used_ip" varchar(45),
        "total_requests" bigint NOT NULL DEFAULT 0,
        "expiry_warned_at" timestamptz,
        CONSTRAINT "uq_api_keys_key_id" UNIQUE ("key_id"),
        CONSTRAINT "ck_api_keys_rate" CHECK (("rate_limit" IS NULL) = ("rate_window_seconds" IS NULL)),
        CONSTRAINT "ck_api_keys_refill" CHECK (("quota_refill_amount" IS NULL) = ("quota_refill_interval" IS NULL)),
        CONSTRAINT "ck_api_keys_rotating" CHECK ("status" <> 'rotating' OR "grace_ends_at" IS NOT NULL),
        CONSTRAINT "ck_api_keys_revoked" CHECK ("status" <> 'revoked' OR "revoked_at" IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX "idx_api_keys_owner" ON "api_keys" ("owner_id", "status")`);
    await q.query(`CREATE INDEX "idx_api_keys_due" ON "api_keys" ("status", "expires_at")`);
    await q.query(`
      CREATE TABLE "api_key_usage_daily" (
        "key_id" uuid NOT NULL REFERENCES "api_keys"("id") ON DELETE CASCADE,
        "day" date NOT NULL,
        "outcome" varchar(24) NOT NULL,
        "count" bigint NOT NULL,
        PRIMARY KEY ("key_id", "day", "outcome")
      )`);
    await q.query(`
      CREATE TABLE "api_key_networks" (
        "key_id" uuid NOT NULL REFERENCES "api_keys"("id") ON DELETE CASCADE,
        "network" varchar(64) NOT NULL,
        "first_seen_at" timestamptz NOT NULL,
        PRIMARY KEY ("key_id", "network")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "api_key_networks"`);
    await q.query(`DROP TABLE "api_key_usage_daily"`);
    await q.query(`DROP TABLE "api_keys"`);
  }
}
