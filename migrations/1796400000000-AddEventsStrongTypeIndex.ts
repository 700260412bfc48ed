import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Events by type, views left out: `LEARN_FROM=auto` asks which interaction types a shop has sent, and a shop
 * that sends only views would otherwise have its whole event log scanned to learn it has no purchases. Views
 * are the bulk of a clickstream, so leaving them out keeps the index to the rarer, stronger events.
 */
export class AddEventsStrongTypeIndex1796400000000 implements MigrationInterface {
  name = 'AddEventsStrongTypeIndex1796400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "events_strong_type_idx" ON "events" ("type") WHERE type <> 'view'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."events_strong_type_idx"`);
  }
}
