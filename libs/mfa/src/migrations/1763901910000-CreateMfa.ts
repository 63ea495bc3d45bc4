import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Second factors (issue 19): TOTP and passkey factors (a TOTP secret sealed with the keyring; the last time step
 * used, so a code works once across instances), recovery codes (Argon2id hashes, single use), the short-lived tokens
 * of a login's second step, and single-use WebAuthn challenges shared by all instances.
 */
export class CreateMfa1763901910000 implements MigrationInterface {
  name = 'CreateMfa1763901910000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "mfa_factors" (
      "id" uuid PRIMARY KEY,
      "user_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
      "kind" varchar(16) NOT NULL CHECK ("kind" IN ('totp', 'webauthn')),
      "name" varchar(64) NOT NULL,
      "secret_ct" text,
      "key_version" integer,
      "last_used_step" bigint,
      "credential_id" varchar(1400),
      "public_key" text,
      "sign_count" bigint NOT NULL DEFAULT 0,
      "transports" text[],
      "confirmed_at" timestamptz,
      "created_at" timestamptz NOT NULL,
      "last_used_at" timestamptz,
      CONSTRAINT "chk_mfa_totp_secret" CHECK ("kind" <> 'totp' OR ("secret_ct" IS NOT NULL AND "key_version" IS NOT NULL))
    )`);
    await q.query(`CREATE INDEX "idx_mfa_factors_user" ON "mfa_factors" ("user_id")`);
    await q.query(
      `CREATE UNIQUE INDEX "uq_mfa_factors_credential" ON "mfa_factors" ("credential_id") WHERE "credential_id" IS NOT NULL`,
    );
    // One confirmed TOTP factor per user (an authenticator app holds one secret per account).
    await q.query(
      `CREATE UNIQUE INDEX "uq_mfa_factors_totp" ON "mfa_factors" ("user_id") WHERE "kind" = 'totp' AND "confirmed_at" IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX "idx_mfa_factors_key_version" ON "mfa_factors" ("key_version") WHERE "secret_ct" IS NOT NULL`,
    );
    await q.query(`CREATE TABLE "mfa_recovery_codes" (
      "id" uuid PRIMARY KEY,
      "user_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
      "code_hash" varchar(255) NOT NULL,
      "used_at" timestamptz,
      "created_at" timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX "idx_mfa_recovery_codes_user" ON "mfa_recovery_codes" ("user_id")`);
    await q.query(`CREATE TABLE "mfa_login_tokens" (
      "token_hash" char(64) PRIMARY KEY,
      "user_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
      "password_fingerprint" char(64) NOT NULL,
      "attempt_source" jsonb NOT NULL,
      "created_at" timestamptz NOT NULL,
      "expires_at" timestamptz NOT NULL,
      "used_at" timestamptz
    )`);
    await q.query(`CREATE INDEX "idx_mfa_login_tokens_expires" ON "mfa_login_tokens" ("expires_at")`);
    await q.query(`CREATE TABLE "webauthn_challenges" (
      "challenge" varchar(128) PRIMARY KEY,
      "user_id" uuid REFERENCES "users"("id") ON DELETE CASCADE,
      "purpose" varchar(16) NOT NULL CHECK ("purpose" IN ('register', 'authenticate')),
      "created_at" timestamptz NOT NULL,
      "expires_at" timestamptz NOT NULL,
      "used_at" timestamptz
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "webauthn_challenges"`);
    await q.query(`DROP TABLE "mfa_login_tokens"`);
    await q.query(`DROP TABLE "mfa_recovery_codes"`);
    await q.query(`DROP TABLE "mfa_factors"`);
  }
}
