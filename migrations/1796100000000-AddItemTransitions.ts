import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddItemTransitions1796100000000 implements MigrationInterface {
  name = 'AddItemTransitions1796100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "item_transitions" (
                "item_id" character varying(128) NOT NULL,
                "rank" smallint NOT NULL,
                "next_id" character varying(128) NOT NULL,
                "probability" real NOT NULL,
                CONSTRAINT "PK_item_transitions" PRIMARY KEY ("item_id", "rank")
            )
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP TABLE "item_transitions"
        `);
  }
}
