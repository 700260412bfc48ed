import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddItemNeighbours1795849546611 implements MigrationInterface {
  name = 'AddItemNeighbours1795849546611';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "copurchase_build" (
                "id" smallint NOT NULL,
                "generation" bigint NOT NULL,
                "as_of" TIMESTAMP WITH TIME ZONE NOT NULL,
                "computed_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "items" integer NOT NULL,
                "neighbours" integer NOT NULL,
                "job_id" uuid,
                CONSTRAINT "PK_08a382100b4280a16eb2891385c" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "item_neighbours" (
                "item_id" character varying(128) NOT NULL,
                "rank" smallint NOT NULL,
                "neighbour_id" character varying(128) NOT NULL,
                "similarity" real NOT NULL,
                CONSTRAINT "PK_bf18b6598009b4de8b076df3dc4" PRIMARY KEY ("item_id", "rank")
            )
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP TABLE "item_neighbours"
        `);
    await queryRunner.query(`
            DROP TABLE "copurchase_build"
        `);
  }
}
