import { MigrationInterface, QueryRunner } from 'typeorm';

/** Keyed fingerprints of each version of the versioned secrets, so instances with other secrets are refused. */
export class CreateSecretFingerprints1763901310000 implements MigrationInterface {
  name = 'CreateSecretFingerprints1763901310000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "secret_fingerprints" (
        "variable" varchar(64) NOT NULL,
        "version" varchar(16) NOT NULL,
        "fingerprint" varchar(200) NOT NULL,
        "recorded_at" timestamptz NOT NULL,
        PRIMARY KEY ("variable", "version")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "secret_fingerprints"`);
  }
}
