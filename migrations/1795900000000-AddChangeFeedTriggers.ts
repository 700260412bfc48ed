import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The cross-process change feed (src/sync/change-channels.ts names the channels). Triggers, not application
 * code, send the notifications: they fire in the writing transaction (PostgreSQL delivers them at its commit,
 * never for a rollback) and also cover writes no Aisle process made, such as a direct SQL import.
 *
 * Payloads stay under PostgreSQL's 8000-byte limit: ids go in chunks of at most ~7000 bytes; past 5,000 ids a
 * statement sends one summary instead (catalog: the oldest `updated_at` it wrote; events: "every user").
 */
export class AddChangeFeedTriggers1795900000000 implements MigrationInterface {
  name = 'AddChangeFeedTriggers1795900000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION aisle_notify_ids(channel text, ids text[], extra jsonb) RETURNS void
      LANGUAGE plpgsql AS $$
      DECLARE
        chunk text[] := '{}';
        size int := 0;
        chunks int := 0;
        id text;
      BEGIN
        FOREACH id IN ARRAY ids LOOP
          IF size + octet_length(id) + 4 > 7000 THEN
            PERFORM pg_notify(channel, (extra || jsonb_build_object('ids', to_jsonb(chunk)))::text);
            chunk := '{}';
            size := 0;
            chunks := chunks + 1;
          END IF;
          chunk := chunk || id;
          size := size + octet_length(id) + 4;
        END LOOP;
        IF cardinality(chunk) > 0 THEN
          PERFORM pg_notify(channel, (extra || jsonb_build_object('ids', to_jsonb(chunk)))::text);
        END IF;
      END $$
    `);
    await queryRunner.query(`
      CREATE FUNCTION aisle_items_changed() RETURNS trigger
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
    await queryRunner.query(`
      CREATE FUNCTION aisle_events_changed() RETURNS trigger
      LANGUAGE plpgsql AS $$
      DECLARE
        users text[];
        purchases boolean;
        extra jsonb;
      BEGIN
        IF TG_OP = 'DELETE' THEN
          SELECT array_agg(DISTINCT user_id), bool_or(type = 'purchase') INTO users, purchases FROM old_rows;
        ELSE
          SELECT array_agg(DISTINCT user_id), bool_or(type = 'purchase') INTO users, purchases FROM new_rows;
        END IF;
        IF users IS NULL THEN
          RETURN NULL;
        END IF;
        extra := jsonb_build_object('purchases', purchases, 'erased', TG_OP = 'DELETE');
        IF cardinality(users) <= 5000 THEN
          PERFORM aisle_notify_ids('aisle_users', users, extra);
        ELSE
          PERFORM pg_notify('aisle_users', (extra || '{"all":true}'::jsonb)::text);
        END IF;
        RETURN NULL;
      END $$
    `);
    await queryRunner.query(`
      CREATE FUNCTION aisle_model_changed() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('aisle_model', '{}');
        RETURN NULL;
      END $$
    `);
    await queryRunner.query(`
      CREATE FUNCTION aisle_copurchase_changed() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('aisle_copurchase', '{}');
        RETURN NULL;
      END $$
    `);
    // One trigger per event: a trigger with transition tables may name only one.
    for (const op of ['INSERT', 'UPDATE'])
      await queryRunner.query(`
        CREATE TRIGGER aisle_items_${op.toLowerCase()}_notify AFTER ${op} ON items
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION aisle_items_changed()
      `);
    await queryRunner.query(`
      CREATE TRIGGER aisle_items_delete_notify AFTER DELETE ON items
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION aisle_items_changed()
    `);
    await queryRunner.query(`
      CREATE TRIGGER aisle_events_insert_notify AFTER INSERT ON events
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION aisle_events_changed()
    `);
    await queryRunner.query(`
      CREATE TRIGGER aisle_events_delete_notify AFTER DELETE ON events
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION aisle_events_changed()
    `);
    await queryRunner.query(`
      CREATE TRIGGER aisle_model_versions_notify AFTER UPDATE OF status ON model_versions
      FOR EACH STATEMENT EXECUTE FUNCTION aisle_model_changed()
    `);
    await queryRunner.query(`
      CREATE TRIGGER aisle_copurchase_build_notify AFTER INSERT OR UPDATE ON copurchase_build
      FOR EACH STATEMENT EXECUTE FUNCTION aisle_copurchase_changed()
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER aisle_copurchase_build_notify ON copurchase_build`);
    await queryRunner.query(`DROP TRIGGER aisle_model_versions_notify ON model_versions`);
    await queryRunner.query(`DROP TRIGGER aisle_events_delete_notify ON events`);
    await queryRunner.query(`DROP TRIGGER aisle_events_insert_notify ON events`);
    await queryRunner.query(`DROP TRIGGER aisle_items_delete_notify ON items`);
    await queryRunner.query(`DROP TRIGGER aisle_items_update_notify ON items`);
    await queryRunner.query(`DROP TRIGGER aisle_items_insert_notify ON items`);
    await queryRunner.query(`DROP FUNCTION aisle_copurchase_changed()`);
    await queryRunner.query(`DROP FUNCTION aisle_model_changed()`);
    await queryRunner.query(`DROP FUNCTION aisle_events_changed()`);
    await queryRunner.query(`DROP FUNCTION aisle_items_changed()`);
    await queryRunner.query(`DROP FUNCTION aisle_notify_ids(text, text[], jsonb)`);
  }
}
