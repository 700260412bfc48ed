import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Daily rollups of the analytics: pure derivations of `served_lists` and `events`, recomputed whole for a
 * day (never incremented), so they cannot drift from the rows. `analytics_days` says which days are rolled
 * up and with which attribution window; `analytics_stale` says which of them a later write has touched.
 */
@Entity({ name: 'analytics_days' })
export class AnalyticsDayEntity {
  /** A UTC day. */
  @PrimaryColumn({ type: 'date' })
  day!: string;

  /** The ATTRIBUTION_WINDOW_HOURS the day was computed with; a process with another window ignores it. */
  @Column({ name: 'window_hours', type: 'integer' })
  windowHours!: number;

  @Column({ name: 'computed_at', type: 'timestamptz' })
  computedAt!: Date;
}

/**
 * The key both daily rollups are grouped by: a UTC day, the placement or endpoint (`source`), the experiment
 * variant and the model version. Each table has these columns of its own (concrete table inheritance).
 */
export abstract class AnalyticsGroupColumns {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'date' })
  day!: string;

  @Column({ type: 'varchar', length: 128 })
  source!: string;

  @Column({ type: 'varchar', length: 128, nullable: true })
  variant!: string | null;

  @Column({ name: 'model_version', type: 'varchar', length: 128, nullable: true })
  modelVersion!: string | null;
}

/** One (day, placement or endpoint, variant, model version) group of served lists and what they earned. */
@Entity({ name: 'analytics_daily' })
@Index('analytics_daily_day_idx', ['day'])
export class AnalyticsDailyEntity extends AnalyticsGroupColumns {
  @Column({ type: 'bigint' })
  lists!: string;

  @Column({ name: 'items_shown', type: 'bigint' })
  itemsShown!: string;

  @Column({ type: 'bigint' })
  clicks!: string;

  @Column({ type: 'bigint' })
  carts!: string;

  @Column({ type: 'bigint' })
  purchases!: string;

  /** Revenue of reported purchases that carried their own price (the others are in analytics_daily_unpriced). */
  @Column({ type: 'numeric' })
  revenue!: string;

  @Column({ name: 'est_purchases', type: 'bigint' })
  estPurchases!: string;

  @Column({ name: 'est_revenue', type: 'numeric' })
  estRevenue!: string;
}

/**
 * Units of purchases without a price of their own, per item: their revenue uses the item's price at query
 * time, exactly like the computation from raw rows, so a price change needs no recomputation.
 */
@Entity({ name: 'analytics_daily_unpriced' })
@Index('analytics_daily_unpriced_day_idx', ['day'])
export class AnalyticsDailyUnpricedEntity extends AnalyticsGroupColumns {
  @Column({ name: 'item_id', type: 'varchar', length: 128 })
  itemId!: string;

  @Column({ type: 'numeric' })
  units!: string;

  @Column({ name: 'est_units', type: 'numeric' })
  estUnits!: string;
}

/**
 * What a write to served_lists or events may have changed, written by triggers in the writing transaction:
 * the UTC day of a served list, the recommId an event names, or the UTC day of a purchase without recommId
 * (which may be an estimated conversion of a list up to ATTRIBUTION_WINDOW_HOURS before it). Only what the
 * written row itself says is recorded, so a concurrent write can never hide a change; readers and the rollup
 * job resolve a mark to days under their own snapshot.
 */
@Entity({ name: 'analytics_stale' })
export class AnalyticsStaleEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'list_day', type: 'date', nullable: true })
  listDay!: string | null;

  @Column({ name: 'recomm_id', type: 'varchar', length: 64, nullable: true })
  recommId!: string | null;

  @Column({ name: 'purchase_day', type: 'date', nullable: true })
  purchaseDay!: string | null;
}
