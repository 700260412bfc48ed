import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An experiment on a placement: its variants (as validated at creation, never changed afterwards, so results
 * always describe what was served), its window, and when it was stopped or which variant was promoted.
 * At most one experiment per placement is not stopped: serving never has to choose between two.
 */
@Entity({ name: 'experiments' })
@Index('experiments_live_placement_key', ['placement'], { unique: true, where: 'stopped_at IS NULL' })
export class ExperimentEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  id!: string;

  @Column({ type: 'varchar', length: 128 })
  placement!: string;

  /** `ab` or `interleave`. */
  @Column({ type: 'varchar', length: 16 })
  mode!: string;

  /** [{ id, weight, strategy, modelVersion?, rules? }] in the order given; the first is the control. */
  @Column({ type: 'jsonb' })
  variants!: Record<string, unknown>[];

  @Column({ name: 'start_at', type: 'timestamptz', nullable: true })
  startAt!: Date | null;

  @Column({ name: 'end_at', type: 'timestamptz', nullable: true })
  endAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** The name of the admin key that created it (`open` when the API runs without keys). */
  @Column({ name: 'created_by', type: 'varchar', length: 128 })
  createdBy!: string;

  @Column({ name: 'stopped_at', type: 'timestamptz', nullable: true })
  stoppedAt!: Date | null;

  @Column({ name: 'promoted_variant', type: 'varchar', length: 128, nullable: true })
  promotedVariant!: string | null;
}
