import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each item went on sale (api.md `availableFrom`), so new arrivals are told apart from dead stock by the
 * catalog's own dates. Existing rows get the first moment the catalog saw them: their creation, or their
 * earliest event when history was imported with older timestamps than the catalog rows.
 */
export class AddItemAvailableFrom1796227769990 implements MigrationInterface {
  name = 'AddItemAvailableFrom1796227769990';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "items"
            ADD "available_from" TIMESTAMP WITH TIME ZONE
        `);
    await queryRunner.query(`
            UPDATE "items" i SET "available_from" = LEAST(i."created_at", e."first_at")
            FROM (SELECT "item_id", min("occurred_at") AS "first_at" FROM "events" GROUP BY "item_id") e
            WHERE e."item_id" = i."id"
        `);
    await queryRunner.query(`
            UPDATE "items" SET "available_from" = "created_at" WHERE "available_from" IS NULL
        `);
    await queryRunner.query(`
            ALTER TABLE "items" ALTER COLUMN "available_from" SET DEFAULT now()
        `);
    await queryRunner.query(`
            ALTER TABLE "items" ALTER COLUMN "available_from" SET NOT NULL
        `);
    await queryRunner.query(`
            CREATE INDEX "items_available_from_idx" ON "items" ("available_from")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."items_available_from_idx"
        `);
    await queryRunner.query(`
            ALTER TABLE "items" DROP COLUMN "available_from"
        `);
  }
}
