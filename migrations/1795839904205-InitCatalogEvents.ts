import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitCatalogEvents1795839904205 implements MigrationInterface {
  name = 'InitCatalogEvents1795839904205';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "items" (
                "id" character varying(128) NOT NULL,
                "title" text NOT NULL,
                "description" text,
                "category" text,
                "brand" text,
                "price" double precision,
                "in_stock" boolean NOT NULL DEFAULT true,
                "attributes" jsonb NOT NULL DEFAULT '{}'::jsonb,
                "image_url" text,
                "content_hash" character(64) NOT NULL,
                "deleted_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_ba5885359424c15ca6b9e79bcf6" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "events" (
                "id" BIGSERIAL NOT NULL,
                "event_id" character varying(128),
                "user_id" character varying(128) NOT NULL,
                "item_id" character varying(128) NOT NULL,
                "type" character varying(16) NOT NULL,
                "value" double precision,
                "session_id" character varying(128),
                "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_40731c7151fe4be3116e45ddf73" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "events_event_id_key" ON "events" ("event_id")
        `);
    await queryRunner.query(`
            CREATE INDEX "events_time_idx" ON "events" ("occurred_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "events_item_idx" ON "events" ("item_id")
        `);
    await queryRunner.query(`
            CREATE INDEX "events_user_time_idx" ON "events" ("user_id", "occurred_at")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."events_user_time_idx"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."events_item_idx"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."events_time_idx"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."events_event_id_key"
        `);
    await queryRunner.query(`
            DROP TABLE "events"
        `);
    await queryRunner.query(`
            DROP TABLE "items"
        `);
  }
}
