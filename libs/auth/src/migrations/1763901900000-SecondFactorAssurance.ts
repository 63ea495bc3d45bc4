import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Assurance levels (issue 19): each session records `aal1`/`aal2` and when it last proved a second factor; a user
 * row says whether a second factor is enrolled (kept by libs/mfa in the transaction that adds or removes one), so
 * resolving a session reads it with the session, without a second query. A device token remembers when it last
 * completed a sign-in with a second factor (MFA_REMEMBER_DEVICE_DAYS).
 */
export class SecondFactorAssurance1763901900000 implements MigrationInterface {
  name = 'SecondFactorAssurance1763901900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "sessions" ADD COLUMN "aal" varchar(4) NOT NULL DEFAULT 'aal1'`);
    await q.query(`ALTER TABLE "sessions" ADD CONSTRAINT "chk_sessions_aal" CHECK ("aal" IN ('aal1', 'aal2'))`);
    await q.query(`ALTER TABLE "sessions" ADD COLUMN "second_factor_at" timestamptz`);
    await q.query(`ALTER TABLE "users" ADD COLUMN "mfa_enabled" boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE "device_tokens" ADD COLUMN "second_factor_at" timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "device_tokens" DROP COLUMN "second_factor_at"`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "mfa_enabled"`);
    await q.query(`ALTER TABLE "sessions" DROP COLUMN "second_factor_at"`);
    await q.query(`ALTER TABLE "sessions" DROP CONSTRAINT "chk_sessions_aal"`);
    await q.query(`ALTER TABLE "sessions" DROP COLUMN "aal"`);
  }
}
