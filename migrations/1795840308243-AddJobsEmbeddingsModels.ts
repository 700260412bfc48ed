import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddJobsEmbeddingsModels1795840308243 implements MigrationInterface {
  name = 'AddJobsEmbeddingsModels1795840308243';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "item_embeddings" (
                "item_id" character varying(128) NOT NULL,
                "encoder_id" character varying(200) NOT NULL,
                "text_hash" character(64) NOT NULL,
                "dimension" integer NOT NULL,
                "vector" bytea NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_a5f31f0ce9d059043848879bd43" PRIMARY KEY ("item_id", "encoder_id", "text_hash")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "item_embeddings_encoder_idx" ON "item_embeddings" ("encoder_id")
        `);
    await queryRunner.query(`
            CREATE TABLE "jobs" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "kind" character varying(32) NOT NULL,
                "status" character varying(16) NOT NULL DEFAULT 'queued',
                "params" jsonb NOT NULL DEFAULT '{}'::jsonb,
                "progress_done" integer NOT NULL DEFAULT '0',
                "progress_total" integer NOT NULL DEFAULT '0',
                "error" text,
                "result" jsonb,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "started_at" TIMESTAMP WITH TIME ZONE,
                "finished_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_cf0a6c42b72fcc7f7c237def345" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "jobs_status_created_idx" ON "jobs" ("status", "created_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "model_versions" (
                "version" character varying(64) NOT NULL,
                "encoder_id" character varying(200) NOT NULL,
                "status" character varying(16) NOT NULL,
                "metrics" jsonb NOT NULL DEFAULT '{}'::jsonb,
                "params" jsonb NOT NULL DEFAULT '{}'::jsonb,
                "weights" bytea,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "activated_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_ff1f4bf8f71fefda3ffc9a3a1d1" PRIMARY KEY ("version")
            )
        `);
    await queryRunner.query(`
            ALTER TABLE "items"
            ALTER COLUMN "attributes"
            SET DEFAULT '{}'::jsonb
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "items"
            ALTER COLUMN "attributes"
            SET DEFAULT '{}'
        `);
    await queryRunner.query(`
            DROP TABLE "model_versions"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."jobs_status_created_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "jobs"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."item_embeddings_encoder_idx"
        `);
    await queryRunner.query(`
            DROP TABLE "item_embeddings"
        `);
  }
}
