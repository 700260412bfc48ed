import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One list the service answered with: what was shown, to whom, from where and by which model. Clicks and
 * sales are attributed to it through `recommId`, so the row must outlive the request; retention bounds it.
 */
@Entity({ name: 'served_lists' })
@Index('served_lists_time_idx', ['servedAt'])
@Index('served_lists_user_time_idx', ['userId', 'servedAt'])
@Index('served_lists_session_time_idx', ['sessionId', 'servedAt'])
@Index('served_lists_experiment_idx', ['experimentId'], { where: 'experiment_id IS NOT NULL' })
export class ServedListEntity {
  @PrimaryColumn({ name: 'recomm_id', type: 'varchar', length: 64 })
  recommId!: string;

  /** The placement id, or the endpoint (`user`, `similar`, `session`, `popular`) when none was named. */
  @Column({ type: 'varchar', length: 128 })
  source!: string;

  @Column({ name: 'is_placement', type: 'boolean', default: false })
  isPlacement!: boolean;

  @Column({ name: 'user_id', type: 'varchar', length: 128, nullable: true })
  userId!: string | null;

  @Column({ name: 'session_id', type: 'varchar', length: 128, nullable: true })
  sessionId!: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  variant!: string | null;

  @Column({ name: 'model_version', type: 'varchar', length: 128, nullable: true })
  modelVersion!: string | null;

  @Column({ type: 'varchar', length: 64 })
  strategy!: string;

  /** In the order shown: position p (1-based) is item_ids[p]. */
  @Column({ name: 'item_ids', type: 'varchar', length: 128, array: true })
  itemIds!: string[];

  /** The experiment the list was served under (its variant is `variant`; an interleaved list has none). */
  @Column({ name: 'experiment_id', type: 'varchar', length: 128, nullable: true })
  experimentId!: string | null;

  /** Interleaved lists: the variant that drafted each item, parallel to item_ids. */
  @Column({ name: 'item_teams', type: 'varchar', length: 128, array: true, nullable: true })
  itemTeams!: string[] | null;

  @Column({ name: 'served_at', type: 'timestamptz' })
  servedAt!: Date;
}
