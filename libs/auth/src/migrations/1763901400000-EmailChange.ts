import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Email change (issue 21): a `change_email` token carries the new address, which replaces the old one only when its
 * owner opens the link sent to it.
 */
export class EmailChange1763901400000 implements MigrationInterface {
  name = 'EmailChange1763901400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "email_tokens" ADD COLUMN "new_email" varchar(254)`);
    await q.query(`ALTER TABLE "email_tokens" DROP CONSTRAINT "email_tokens_purpose_check"`);
    await q.query(
      `ALTER TABLE "email_tokens" ADD CONSTRAINT "email_tokens_purpose_check"
         CHECK ("purpose" IN ('verify_email', 'reset_password', 'change_email'))`,
    );
    await q.query(
      `ALTER TABLE "email_tokens" ADD CONSTRAINT "ck_email_tokens_new_email"
         CHECK (("purpose" = 'change_email') = ("new_email" IS NOT NULL))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM "email_tokens" WHERE "purpose" = 'change_email'`);
    await q.query(`ALTER TABLE "email_tokens" DROP CONSTRAINT "ck_email_tokens_new_email"`);
    await q.query(`ALTER TABLE "email_tokens" DROP CONSTRAINT "email_tokens_purpose_check"`);
    await q.query(
      `ALTER TABLE "email_tokens" ADD CONSTRAINT "email_tokens_purpose_check"
         CHECK ("purpose" IN ('verify_email', 'reset_password'))`,
    );
    await q.query(`ALTER TABLE "email_tokens" DROP COLUMN "new_email"`);
  }
}
