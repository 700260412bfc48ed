import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Catalog notices say which of their ids were deleted (`"deleted": true` on a chunk of deleted ids), so a
 * server drops a deleted item the moment the notice arrives instead of after re-reading it: under load the
 * re-read waits behind other queries, and a delete must reach every server within a second. The ids that
 * stay live are notified as before, and a statement writing more than 5,000 still sends one summary.
 */
export class NotifyDeletedItems1796500000000 implements MigrationInterface {
  name = 'NotifyDeletedItems1796500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION aisle_items_changed() RETURNS trigger
      LANGUAGE plpgsql AS $$
      DECLARE
        ids text[];
        gone text[];
        since timestamptz;
      BEGIN
        IF TG_OP = 'DELETE' THEN
          SELECT array_agg(id ORDER BY id) INTO gone FROM old_rows;
        ELSE
          SELECT array_agg(id ORDER BY id) FILTER (WHERE deleted_at IS NULL),
                 array_agg(id ORDER BY id) FILTER (WHERE deleted_at IS NOT NULL),
                 min(updated_at)
            INTO ids, gone, since FROM new_rows;
        END IF;
        IF coalesce(cardinality(ids), 0) + coalesce(cardinality(gone), 0) = 0 THEN
          RETURN NULL;
        END IF;
        IF coalesce(cardinality(ids), 0) + coalesce(cardinality(gone), 0) <= 5000 THEN
          IF ids IS NOT NULL THEN
            PERFORM aisle_notify_ids('aisle_catalog', ids, '{}'::jsonb);
          END IF;
          IF gone IS NOT NULL THEN
            PERFORM aisle_notify_ids('aisle_catalog', gone, '{"deleted": true}'::jsonb);
          END IF;
        ELSIF TG_OP = 'DELETE' THEN
          PERFORM pg_notify('aisle_catalog', '{"reload":true}');
        ELSE
          PERFORM pg_notify('aisle_catalog', jsonb_build_object('since', since)::text);
        END IF;
        RETURN NULL;
      END $$
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION aisle_items_changed() RETURNS trigger
      LANGUAGE plpgsql AS $$
      DECLARE
        ids text[];
        since timestamptz;
      BEGIN
        IF TG_OP = 'DELETE' THEN
          SELECT array_agg(id ORDER BY id) INTO ids FROM old_rows;
        ELSE
          SELECT array_agg(id ORDER BY id), min(updated_at) INTO ids, since FROM new_rows;
        END IF;
        IF ids IS NULL THEN
          RETURN NULL;
        END IF;
        IF cardinality(ids) <= 5000 THEN
          PERFORM aisle_notify_ids('aisle_catalog', ids, '{}'::jsonb);
        ELSIF TG_OP = 'DELETE' THEN
          PERFORM pg_notify('aisle_catalog', '{"reload":true}');
        ELSE
          PERFORM pg_notify('aisle_catalog', jsonb_build_object('since', since)::text);
        END IF;
        RETURN NULL;
      END $$
    `);
  }
}
