import { MigrationInterface, QueryRunner } from 'typeorm';

/** Who reported a key's last client address, when a caller of POST /v1/keys/verify did (issue 23 item 10). */
export class KeyIpReportedBy1763901305000 implements MigrationInterface {
  name = 'KeyIpReportedBy1763901305000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "api_keys" ADD COLUMN "last_used_ip_reported_by" varchar(64)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "api_keys" DROP COLUMN "last_used_ip_reported_by"`);
  }
}
