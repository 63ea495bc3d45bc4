import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention that keeps the chain verifiable: `audit_checkpoints` records, for each purge batch, the last deleted
 * sequence and its hash, and `audit_purge_through` (SECURITY DEFINER, owned by the schema owner) is the only way the
 * app role deletes audit rows: a whole prefix of the chain, up to a row whose hash the caller verified, all older than
 * the cutoff (never the last day), with its checkpoint in the same transaction. The app role reads checkpoints only.
 */
export class AuditCheckpoints1763901320000 implements MigrationInterface {
  name = 'AuditCheckpoints1763901320000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "audit_checkpoints" (
        "id" bigserial PRIMARY KEY,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "last_id" bigint NOT NULL UNIQUE,
        "last_hash" char(64) NOT NULL,
        "previous_last_id" bigint,
        "deleted" integer NOT NULL,
        "cutoff" timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE FUNCTION "audit_purge_through"(p_last_id bigint, p_last_hash text, p_cutoff timestamptz)
      RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
      DECLARE
        v_hash text;
        v_previous bigint;
        v_deleted integer;
      BEGIN
        -- The chain lock of every append (AUDIT_CHAIN_LOCK_KEY): nothing is written while the prefix goes.
        PERFORM pg_advisory_xact_lock(727271002);
        IF p_cutoff > now() - interval '1 day' THEN
          RAISE EXCEPTION 'audit purge: the cutoff % is within the last day', p_cutoff;
        END IF;
        SELECT "hash" INTO v_hash FROM "audit_events" WHERE "id" = p_last_id;
        IF v_hash IS NULL OR v_hash <> p_last_hash THEN
          RAISE EXCEPTION 'audit purge: event % is not the verified one', p_last_id;
        END IF;
        IF EXISTS (SELECT 1 FROM "audit_events" WHERE "id" <= p_last_id AND "occurred_at" >= p_cutoff) THEN
          RAISE EXCEPTION 'audit purge: events up to % are not all older than %', p_last_id, p_cutoff;
        END IF;
        SELECT max("last_id") INTO v_previous FROM "audit_checkpoints";
        DELETE FROM "audit_events" WHERE "id" <= p_last_id;
        GET DIAGNOSTICS v_deleted = ROW_COUNT;
        INSERT INTO "audit_checkpoints" ("last_id", "last_hash", "previous_last_id", "deleted", "cutoff")
          VALUES (p_last_id, p_last_hash, v_previous, v_deleted, p_cutoff);
        RETURN v_deleted;
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION "audit_purge_through"(bigint, text, timestamptz)`);
    await q.query(`DROP TABLE "audit_checkpoints"`);
  }
}
