import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Experiments, the experiment and interleaving teams of each served list, and `pinned_model_versions`: the
 * versions something serves by name (a live experiment's variant, a placement's own model version), whose
 * weights the fine-tune's pruning must keep.
 */

export class AddExperiments1796247318529 implements MigrationInterface {
  name = 'AddExperiments1796247318529';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "experiments" (
                "id" character varying(128) NOT NULL,
                "placement" character varying(128) NOT NULL,
                "mode" character varying(16) NOT NULL,
                "variants" jsonb NOT NULL,
                "start_at" TIMESTAMP WITH TIME ZONE,
                "end_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "created_by" character varying(128) NOT NULL,
                "stopped_at" TIMESTAMP WITH TIME ZONE,
                "promoted_variant" character varying(128),
                CONSTRAINT "PK_aafe1321d916fac58ba06ad8178" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "experiments_live_placement_key" ON "experiments" ("placement")
            WHERE stopped_at IS NULL
        `);
    await queryRunner.query(`
            ALTER TABLE "served_lists"
            ADD "experiment_id" character varying(128)
        `);
    await queryRunner.query(`
            ALTER TABLE "served_lists"
            ADD "item_teams" character varying(128) array
        `);
    await queryRunner.query(`
            CREATE INDEX "served_lists_experiment_idx" ON "served_lists" ("experiment_id")
            WHERE experiment_id IS NOT NULL
        `);
    await queryRunner.query(`
            CREATE VIEW "pinned_model_versions" AS
            SELECT v ->> 'modelVersion' AS version
            FROM experiments x CROSS JOIN LATERAL jsonb_array_elements(x.variants) v
            WHERE x.stopped_at IS NULL AND v ? 'modelVersion'
            UNION
            SELECT r.definition ->> 'modelVersion'
            FROM placements p JOIN placement_revisions r ON r.placement_id = p.id AND r.revision = p.revision
            WHERE r.definition ? 'modelVersion'
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP VIEW "pinned_model_versions"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."served_lists_experiment_idx"
        `);
    await queryRunner.query(`
            ALTER TABLE "served_lists" DROP COLUMN "item_teams"
        `);
    await queryRunner.query(`
            ALTER TABLE "served_lists" DROP COLUMN "experiment_id"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."experiments_live_placement_key"
        `);
    await queryRunner.query(`
            DROP TABLE "experiments"
        `);
  }
}
