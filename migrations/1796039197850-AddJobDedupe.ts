import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddJobDedupe1796039197850 implements MigrationInterface {
  name = 'AddJobDedupe1796039197850';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "jobs"
            ADD "dedupe_key" text
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "jobs_queued_dedupe_uq" ON "jobs" ("kind", "dedupe_key")
            WHERE "status" = 'queued'
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."jobs_queued_dedupe_uq"
        `);
    await queryRunner.query(`
            ALTER TABLE "jobs" DROP COLUMN "dedupe_key"
        `);
  }
}
