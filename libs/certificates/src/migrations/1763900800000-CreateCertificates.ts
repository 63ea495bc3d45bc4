import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCertificates1763900800000 implements MigrationInterface {
  name = 'CreateCertificates1763900800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "certificates" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "owner_id" uuid REFERENCES "users"("id") ON DELETE CASCADE,
        "label" varchar(100),
        "source_type" text NOT NULL CHECK ("source_type" IN ('pem', 'file', 'endpoint')),
        "source_key" text NOT NULL,
        "pem" text CHECK (length("pem") <= 65536),
        "path" text,
        "host" text,
        "port" int CHECK ("port" BETWEEN 1 AND 65535),
        "servername" text,
        "expected_host" text,
        "status" text CHECK ("status" IN ('OK', 'WARN', 'CRITICAL')),
        "status_reason" text,
        "fingerprint_sha256" text,
        "subject" text,
        "not_after" timestamptz,
        "chain" jsonb NOT NULL DEFAULT '[]',
        "last_checked_at" timestamptz,
        "alert_state" text NOT NULL DEFAULT 'OK' CHECK ("alert_state" IN ('OK', 'WARN', 'CRITICAL')),
        "created_at" timestamptz NOT NULL,
        "updated_at" timestamptz NOT NULL,
        CHECK (("source_type" = 'pem') = ("pem" IS NOT NULL)),
        CHECK (("source_type" = 'file') = ("path" IS NOT NULL)),
        CHECK (("source_type" = 'endpoint') = ("host" IS NOT NULL AND "port" IS NOT NULL))
      )`);
    // One entry per source and owner (the service's own entries have no owner).
    await q.query(
      `CREATE UNIQUE INDEX "certificates_source_per_owner" ON "certificates" (COALESCE("owner_id", '00000000-0000-0000-0000-000000000000'::uuid), "source_key")`,
    );
    await q.query(`CREATE INDEX "certificates_owner" ON "certificates" ("owner_id", "created_at")`);
    await q.query(`CREATE INDEX "certificates_not_after" ON "certificates" ("not_after")`);
    await q.query(`
      CREATE TABLE "certificate_checks" (
        "id" bigserial PRIMARY KEY,
        "certificate_id" uuid NOT NULL REFERENCES "certificates"("id") ON DELETE CASCADE,
        "checked_at" timestamptz NOT NULL,
        "trigger" text NOT NULL CHECK ("trigger" IN ('create', 'manual', 'schedule')),
        "status" text NOT NULL CHECK ("status" IN ('OK', 'WARN', 'CRITICAL')),
        "results" jsonb NOT NULL,
        "fingerprint_sha256" text,
        "protocol" text,
        "cipher" text
      )`);
    await q.query(
      `CREATE INDEX "certificate_checks_by_certificate" ON "certificate_checks" ("certificate_id", "checked_at" DESC, "id" DESC)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "certificate_checks"`);
    await q.query(`DROP TABLE "certificates"`);
  }
}
