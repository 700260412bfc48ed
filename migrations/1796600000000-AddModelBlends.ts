import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `model_blends`: the blends a nightly fine-tune re-tuned for the model in service when its candidate lost the
 * gate, keyed by that model's version ('raw' for the text vectors before any fine-tune). Without them a shop
 * whose first candidate loses keeps the default blends, tuned for no shop. A write notifies the model channel,
 * so every process adopts the new blends as it adopts an activation.
 */
export class AddModelBlends1796600000000 implements MigrationInterface {
  name = 'AddModelBlends1796600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "model_blends" (
        "model_version" character varying(64) NOT NULL,
        "params" jsonb NOT NULL DEFAULT '{}',
        "metrics" jsonb NOT NULL DEFAULT '{}',
        "tuned_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_model_blends" PRIMARY KEY ("model_version")
      )
    `);
    await queryRunner.query(`
      CREATE TRIGGER aisle_model_blends_notify AFTER INSERT OR UPDATE ON model_blends
      FOR EACH STATEMENT EXECUTE FUNCTION aisle_model_changed()
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER aisle_model_blends_notify ON model_blends`);
    await queryRunner.query(`DROP TABLE "model_blends"`);
  }
}
