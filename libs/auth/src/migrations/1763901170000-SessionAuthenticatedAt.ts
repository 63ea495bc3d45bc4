import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a session last proved the password (step-up, design.md "Assurance"): its login, renewed by
 * POST /v1/auth/reauthenticate. Existing sessions take their login time.
 */
export class SessionAuthenticatedAt1763901170000 implements MigrationInterface {
  name = 'SessionAuthenticatedAt1763901170000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "sessions" ADD COLUMN "authenticated_at" timestamptz`);
    await q.query(`UPDATE "sessions" SET "authenticated_at" = "created_at"`);
    await q.query(`ALTER TABLE "sessions" ALTER COLUMN "authenticated_at" SET NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "sessions" DROP COLUMN "authenticated_at"`);
  }
}
