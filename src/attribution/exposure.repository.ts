import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { LearningEvents } from '../events/learning-events.service';

/** How often one new arrival was shown in served lists and clicked (a `view` carrying a `recommId`). */
export interface ItemExposure {
  itemId: string;
  availableFrom: Date;
  /** Showings in the lists served in the window asked for (not before the item went on sale). */
  impressions: number;
  /** All its clicks since it went on sale. */
  clicks: number;
}

/** The served-list side of the new-arrival rule: impressions and clicks of the items that are new arrivals. */
@Injectable()
export class ExposureRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly learning: LearningEvents,
  ) {}

  /**
   * For every live item on sale since `arrivedSince` (up to `now`) and never bought: its impressions in the lists
   * served in [`shownFrom`, `shownUntil`) and its clicks so far; only items with any. The served lists are joined
   * to those few items by id, so the work is the lists of that window, not the whole table.
   */
  async newArrivals(window: {
    arrivedSince: Date;
    now: Date;
    shownFrom: Date;
    shownUntil: Date;
  }): Promise<ItemExposure[]> {
    const rows: Array<{ item_id: string; available_from: Date; impressions: number; clicks: number }> =
      await this.db.query(
        `WITH fresh AS (
           SELECT i.id, i.available_from FROM items i
           WHERE i.deleted_at IS NULL AND i.available_from >= $1 AND i.available_from <= $2
             AND NOT EXISTS (SELECT 1 FROM events p WHERE p.item_id = i.id AND p.type = ANY($5::varchar[]))),
         shown AS (
           SELECT f.id, count(*)::int AS n
           FROM served_lists s CROSS JOIN LATERAL unnest(s.item_ids) AS x(item_id)
           JOIN fresh f ON f.id = x.item_id AND s.served_at >= f.available_from
           WHERE s.served_at >= $3 AND s.served_at < $4
           GROUP BY f.id),
         clicked AS (
           SELECT f.id, count(*)::int AS n
           FROM events e JOIN fresh f ON f.id = e.item_id AND e.occurred_at >= f.available_from
           WHERE e.type = 'view' AND e.recomm_id IS NOT NULL
           GROUP BY f.id)
         SELECT f.id AS item_id, f.available_from, coalesce(s.n, 0) AS impressions, coalesce(c.n, 0) AS clicks
         FROM fresh f LEFT JOIN shown s ON s.id = f.id LEFT JOIN clicked c ON c.id = f.id
         WHERE s.n IS NOT NULL OR c.n IS NOT NULL`,
        [
          window.arrivedSince.toISOString(),
          window.now.toISOString(),
          window.shownFrom.toISOString(),
          window.shownUntil.toISOString(),
          // "Never bought" as the signals count it (LEARN_FROM).
          await this.learning.types(),
        ],
      );
    return rows.map((r) => ({
      itemId: r.item_id,
      availableFrom: r.available_from,
      impressions: r.impressions,
      clicks: r.clicks,
    }));
  }
}
