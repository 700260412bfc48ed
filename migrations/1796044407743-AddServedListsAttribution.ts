import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddServedListsAttribution1796044407743 implements MigrationInterface {
  name = 'AddServedListsAttribution1796044407743';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "served_lists" (
                "recomm_id" character varying(64) NOT NULL,
                "source" character varying(128) NOT NULL,
                "is_placement" boolean NOT NULL DEFAULT false,
                "user_id" character varying(128),
                "session_id" character varying(128),
                "variant" character varying(128),
                "model_version" character varying(128),
                "strategy" character varying(64) NOT NULL,
                "item_ids" character varying(128) array NOT NULL,
                "served_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_7f21eb17270297b38597043765e" PRIMARY KEY ("recomm_id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "served_lists_session_time_idx" ON "served_lists" ("session_id", "served_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "served_lists_user_time_idx" ON "served_lists" ("user_id", "served_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "served_lists_time_idx" ON "served_lists" ("served_at")
        `);
    await queryRunner.query(`
            ALTER TABLE "events"
            ADD "recomm_id" character varying(64)
        `);
    await queryRunner.query(`
            ALTER TABLE "events"
            ADD "position" integer
        `);
    await queryRunner.query(`
            ALTER TABLE "events"
            ADD "price" double precision
        `);
    await queryRunner.query(`
            CREATE INDEX "events_recomm_idx" ON "events" ("recomm_id")
            WHERE recomm_id IS NOT NULL
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."events_recomm_idx"
        `);
    await queryRunner.query(`
            ALTER TABLE "events" DROP COLUMN "price"
        `);
    await queryRunner.query(`
            ALTER TABLE "events" DROP COLUMN "position"
        `);
    await queryRunner.query(`
            ALTER TABLE "events" DROP COLUMN "recomm_id"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."served_lists_time_idx"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."served_lists_user_time_idx"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."served_lists_session_time_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "served_lists"
        `);
  }
}
