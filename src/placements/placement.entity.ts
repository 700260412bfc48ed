import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A placement's current revision; the definition itself lives in its revision row. */
@Entity({ name: 'placements' })
export class PlacementEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  id!: string;

  /** The revision served; every change (a PUT, a restore) adds one. */
  @Column({ type: 'integer' })
  revision!: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** Every stored version of a placement, for the history and for restores. */
@Entity({ name: 'placement_revisions' })
export class PlacementRevisionEntity {
  @PrimaryColumn({ name: 'placement_id', type: 'varchar', length: 128 })
  placementId!: string;

  @PrimaryColumn({ type: 'integer' })
  revision!: number;

  /** The validated body of the PUT (kind, title, limit, filters, diversity, rules). */
  @Column({ type: 'jsonb' })
  definition!: Record<string, unknown>;

  /** The name of the admin key that wrote it (`open` when the API runs without keys). */
  @Column({ name: 'created_by', type: 'varchar', length: 128 })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** For a restore: the revision it copied. */
  @Column({ name: 'restored_from', type: 'integer', nullable: true })
  restoredFrom!: number | null;
}
