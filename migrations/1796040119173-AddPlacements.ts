import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddPlacements1796040119173 implements MigrationInterface {
  name = 'AddPlacements1796040119173';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "placements" (
                "id" character varying(128) NOT NULL,
                "revision" integer NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_91cca43a1baa03ee278d7be74da" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "placement_revisions" (
                "placement_id" character varying(128) NOT NULL,
                "revision" integer NOT NULL,
                "definition" jsonb NOT NULL,
                "created_by" character varying(128) NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "restored_from" integer,
                CONSTRAINT "PK_29a9aaf9395ca6bc8251b2c8d1f" PRIMARY KEY ("placement_id", "revision")
            )
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP TABLE "placement_revisions"
        `);
    await queryRunner.query(`
            DROP TABLE "placements"
        `);
  }
}
