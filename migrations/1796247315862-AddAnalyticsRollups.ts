import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Daily analytics rollups (see src/attribution/analytics-rollup.entity.ts) and the triggers that keep them
 * honest: every insert, update or delete on served_lists or events records, in the writing transaction,
 * what the written rows say about which days they may change (analytics_stale). Triggers rather than
 * application code so that imports, erasure, retention and direct SQL are all covered. Statement-level with
 * transition tables: one small insert per statement, however many rows it wrote.
 */
export class AddAnalyticsRollups1796247315862 implements MigrationInterface {
  name = 'AddAnalyticsRollups1796247315862';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "analytics_days" (
                "day" date NOT NULL,
                "window_hours" integer NOT NULL,
                "computed_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_12ad415bdd229b7ee698682fcda" PRIMARY KEY ("day")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "analytics_daily" (
                "id" BIGSERIAL NOT NULL,
                "day" date NOT NULL,
                "source" character varying(128) NOT NULL,
                "variant" character varying(128),
                "model_version" character varying(128),
                "lists" bigint NOT NULL,
                "items_shown" bigint NOT NULL,
                "clicks" bigint NOT NULL,
                "carts" bigint NOT NULL,
                "purchases" bigint NOT NULL,
                "revenue" numeric NOT NULL,
                "est_purchases" bigint NOT NULL,
                "est_revenue" numeric NOT NULL,
                CONSTRAINT "PK_a6dd8ca1a03006b05a665aefbd8" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "analytics_daily_day_idx" ON "analytics_daily" ("day")
        `);
    await queryRunner.query(`
            CREATE TABLE "analytics_daily_unpriced" (
                "id" BIGSERIAL NOT NULL,
                "day" date NOT NULL,
                "source" character varying(128) NOT NULL,
                "variant" character varying(128),
                "model_version" character varying(128),
                "item_id" character varying(128) NOT NULL,
                "units" numeric NOT NULL,
                "est_units" numeric NOT NULL,
                CONSTRAINT "PK_7f3459519ea586ca2ac31d112da" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "analytics_daily_unpriced_day_idx" ON "analytics_daily_unpriced" ("day")
        `);
    await queryRunner.query(`
            CREATE TABLE "analytics_stale" (
                "id" BIGSERIAL NOT NULL,
                "list_day" date,
                "recomm_id" character varying(64),
                "purchase_day" date,
                CONSTRAINT "PK_5663ef4a6d1139fdee22f5cd997" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "events_unattributed_purchase_time_idx" ON "events" ("occurred_at")
            WHERE type = 'purchase' AND recomm_id IS NULL
        `);
    await queryRunner.query(`
      CREATE FUNCTION aisle_served_lists_stale() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          INSERT INTO analytics_stale (list_day)
          SELECT DISTINCT (served_at AT TIME ZONE 'UTC')::date FROM new_rows;
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
          INSERT INTO analytics_stale (list_day)
          SELECT DISTINCT (served_at AT TIME ZONE 'UTC')::date FROM old_rows;
        END IF;
        RETURN NULL;
      END $$
    `);
    // An event changes the list it names (reported), or, as a purchase without recommId, the lists shown to
    // its user or session within the attribution window before it (estimated).
    await queryRunner.query(`
      CREATE FUNCTION aisle_events_stale() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          INSERT INTO analytics_stale (recomm_id, purchase_day)
          SELECT DISTINCT recomm_id, NULL::date FROM new_rows WHERE recomm_id IS NOT NULL
          UNION
          SELECT DISTINCT NULL, (occurred_at AT TIME ZONE 'UTC')::date FROM new_rows
          WHERE recomm_id IS NULL AND type = 'purchase';
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
          INSERT INTO analytics_stale (recomm_id, purchase_day)
          SELECT DISTINCT recomm_id, NULL::date FROM old_rows WHERE recomm_id IS NOT NULL
          UNION
          SELECT DISTINCT NULL, (occurred_at AT TIME ZONE 'UTC')::date FROM old_rows
          WHERE recomm_id IS NULL AND type = 'purchase';
        END IF;
        RETURN NULL;
      END $$
    `);
    // One trigger per operation: a trigger with transition tables may name only one.
    for (const [table, fn] of [
      ['served_lists', 'aisle_served_lists_stale'],
      ['events', 'aisle_events_stale'],
    ]) {
      await queryRunner.query(`
        CREATE TRIGGER aisle_${table}_insert_stale AFTER INSERT ON ${table}
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()
      `);
      await queryRunner.query(`
        CREATE TRIGGER aisle_${table}_update_stale AFTER UPDATE ON ${table}
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()
      `);
      await queryRunner.query(`
        CREATE TRIGGER aisle_${table}_delete_stale AFTER DELETE ON ${table}
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()
      `);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const op of ['insert', 'update', 'delete']) {
      await queryRunner.query(`DROP TRIGGER aisle_served_lists_${op}_stale ON served_lists`);
      await queryRunner.query(`DROP TRIGGER aisle_events_${op}_stale ON events`);
    }
    await queryRunner.query(`DROP FUNCTION aisle_events_stale()`);
    await queryRunner.query(`DROP FUNCTION aisle_served_lists_stale()`);
    await queryRunner.query(`DROP INDEX "public"."events_unattributed_purchase_time_idx"`);
    await queryRunner.query(`
            DROP TABLE "analytics_stale"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."analytics_daily_unpriced_day_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "analytics_daily_unpriced"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."analytics_daily_day_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "analytics_daily"
        `);
    await queryRunner.query(`
            DROP TABLE "analytics_days"
        `);
  }
}
