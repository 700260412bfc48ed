import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The single row describing what `item_neighbours` holds: written in the same transaction as the neighbours,
 * so a server compares `generation` with the one it loaded to notice, cheaply, a computation made elsewhere.
 */
@Entity({ name: 'copurchase_build' })
export class CopurchaseBuildEntity {
  /** Always 1: there is one current computation. */
  @PrimaryColumn({ type: 'smallint' })
  id!: number;

  /** Incremented by every replacement. */
  @Column({ type: 'bigint' })
  generation!: string;

  /** Purchases strictly before this instant were counted. */
  @Column({ name: 'as_of', type: 'timestamptz' })
  asOf!: Date;

  @Column({ name: 'computed_at', type: 'timestamptz' })
  computedAt!: Date;

  @Column({ type: 'integer' })
  items!: number;

  @Column({ type: 'integer' })
  neighbours!: number;

  /** The job that wrote it (null when written outside the job queue). */
  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  jobId!: string | null;
}
