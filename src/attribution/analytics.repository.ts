import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { liveCtes, staleCte } from './analytics.sql';

export const GROUP_BY = ['day', 'placement', 'variant', 'modelVersion'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

/** Over any rollup-shaped relation (columns day, source, variant, model_version). */
const GROUP_COLUMN: Record<GroupBy, string> = {
  day: 'day',
  placement: 'source',
  variant: 'variant',
  modelVersion: 'model_version',
};

export interface AnalyticsQuery {
  from: Date;
  to: Date;
  placement?: string;
  groupBy: GroupBy[];
  windowHours: number;
  /** Use the daily rollups where they are current (default); false computes everything from the raw rows. */
  useRollups?: boolean;
}

export interface Split {
  reported: number;
  estimated: number;
}

export interface AnalyticsRow {
  day?: string;
  placement?: string;
  variant?: string | null;
  modelVersion?: string | null;
  lists: number;
  itemsShown: number;
  clicks: number;
  ctr: number;
  addToCarts: Split;
  purchases: Split;
  conversionRate: Split;
  revenue: Split;
  revenuePerThousandLists: Split;
}

interface RawRow {
  g0?: string | null;
  g1?: string | null;
  g2?: string | null;
  g3?: string | null;
  lists: string;
  items_shown: string;
  clicks: string;
  carts: string;
  purchases: string;
  revenue: number | null;
  est_purchases: string;
  est_revenue: number | null;
}

/**
 * Analytics computed from the rows themselves (served lists joined with events), so the figures can never
 * drift from the data. Events are stored once per eventId, so a repeated event is never counted twice.
 * Reported figures join by recommId; estimated ones give a purchase without recommId to the latest list
 * shown to the same user or session within the attribution window that contained the item.
 *
 * Whole UTC days inside the range that the rollup job has computed with this window, and that no write has
 * touched since, are read from the rollup tables; everything else (today, the range's partial first and
 * last days, touched days) is computed from the raw rows in the same statement, so one snapshot answers.
 */
@Injectable()
export class AnalyticsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The planner cannot estimate rows coming out of these CTEs and often expects hundreds of thousands; over
   * the JIT threshold it then spends seconds compiling a query that runs in milliseconds.
   */
  private withoutJit<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(async (m) => {
      await m.query('SET LOCAL jit = off');
      return fn(m);
    });
  }

  async query(q: AnalyticsQuery): Promise<AnalyticsRow[]> {
    // Group keys g0, g1, … are the raw columns on each side of the final union (a day stays a date, formatted
    // once per output row). Units bought without a price meet the items' prices in one of two ways, whichever
    // multiplies fewer rows (numeric products and sums are exact, so both give the same figures): without a day
    // key, summed per group and item first (a year collapses to one row per item); by day, row by row, since a
    // rollup row is already about one day and item, and summing per item first would only cost a second
    // aggregation of every row (EXPLAIN ANALYZE on the bench's year: 2.0 s against 0.9 s).
    const keys = (alias = '') => q.groupBy.map((g, i) => `${alias}${GROUP_COLUMN[g]} AS g${i}`);
    const refs = q.groupBy.map((_, i) => `g${i}`);
    const shown = q.groupBy.map((g, i) => (g === 'day' ? `to_char(g${i}, 'YYYY-MM-DD') AS g${i}` : `g${i}`));
    const lead = (cols: string[]) => cols.map((c) => `${c}, `).join('');
    // GROUP BY g0 names the input column (the date), ORDER BY the output one: the same order either way.
    const groupClause = refs.length > 0 ? `GROUP BY ${refs.join(', ')} ORDER BY ${refs.join(', ')}` : '';
    const rows: RawRow[] = await this.withoutJit((m) =>
      m.query(
        `WITH days AS (
         SELECT g.day,
                greatest(g.day::timestamp AT TIME ZONE 'UTC', $1::timestamptz) AS lo,
                least((g.day + 1)::timestamp AT TIME ZONE 'UTC', $2::timestamptz) AS hi
         FROM (SELECT ($1::timestamptz AT TIME ZONE 'UTC')::date + k AS day
               FROM generate_series(0, ($2::timestamptz AT TIME ZONE 'UTC')::date
                                       - ($1::timestamptz AT TIME ZONE 'UTC')::date) k) g
       ),
       ${staleCte('$4')},
       rolled AS (
         SELECT d.day FROM days d JOIN analytics_days a ON a.day = d.day
         WHERE $5::boolean AND a.window_hours = $4::int
           AND d.lo = d.day::timestamp AT TIME ZONE 'UTC'
           AND d.hi = (d.day + 1)::timestamp AT TIME ZONE 'UTC'
           AND NOT EXISTS (SELECT 1 FROM stale s WHERE s.day = d.day)
       ),
       ranges AS (
         SELECT d.lo, d.hi FROM days d
         WHERE d.lo < d.hi AND NOT EXISTS (SELECT 1 FROM rolled r WHERE r.day = d.day)
       ),
       ${liveCtes({ placement: '$3', windowHours: '$4' })},
       unpriced AS (
         SELECT day, source, variant, model_version, item_id, units, est_units FROM live_unpriced
         UNION ALL
         SELECT u.day, u.source, u.variant, u.model_version, u.item_id, u.units, u.est_units
         FROM analytics_daily_unpriced u JOIN rolled r ON r.day = u.day
         WHERE ($3::varchar IS NULL OR u.source = $3::varchar)
       ),
       g AS (
         SELECT day, source, variant, model_version, lists, items_shown, clicks, carts, purchases, revenue,
                est_purchases, est_revenue
         FROM live_groups
         UNION ALL
         SELECT a.day, a.source, a.variant, a.model_version, a.lists, a.items_shown, a.clicks, a.carts,
                a.purchases, a.revenue, a.est_purchases, a.est_revenue
         FROM analytics_daily a JOIN rolled r ON r.day = a.day
         WHERE ($3::varchar IS NULL OR a.source = $3::varchar)
       ),
       ${
         q.groupBy.includes('day')
           ? `priced AS (
         SELECT ${lead(keys('u.'))} u.units * COALESCE(i.price, 0)::numeric AS revenue,
                u.est_units * COALESCE(i.price, 0)::numeric AS est_revenue
         FROM unpriced u LEFT JOIN items i ON i.id = u.item_id
       ),`
           : `per_item AS (
         SELECT ${lead(keys())} item_id, sum(units) AS units, sum(est_units) AS est_units
         FROM unpriced
         GROUP BY ${lead(refs)} item_id
       ),
       priced AS (
         SELECT ${lead(refs.map((r) => `p.${r}`))} p.units * COALESCE(i.price, 0)::numeric AS revenue,
                p.est_units * COALESCE(i.price, 0)::numeric AS est_revenue
         FROM per_item p LEFT JOIN items i ON i.id = p.item_id
       ),`
       }
       x AS (
         SELECT ${lead(keys())} lists, items_shown, clicks, carts, purchases, revenue, est_purchases, est_revenue
         FROM g
         UNION ALL
         SELECT ${lead(refs)} 0, 0, 0, 0, 0, revenue, 0, est_revenue FROM priced
       )
       SELECT ${lead(shown)}
              sum(lists) AS lists,
              sum(items_shown) AS items_shown,
              sum(clicks) AS clicks,
              sum(carts) AS carts,
              sum(purchases) AS purchases,
              sum(revenue)::float8 AS revenue,
              sum(est_purchases) AS est_purchases,
              sum(est_revenue)::float8 AS est_revenue
       FROM x
       ${groupClause}`,
        [q.from.toISOString(), q.to.toISOString(), q.placement ?? null, q.windowHours, q.useRollups ?? true],
      ),
    );
    return rows
      .filter((r) => Number(r.lists) > 0)
      .map((r) => {
        const lists = Number(r.lists);
        const rate = (n: number) => (lists > 0 ? n / lists : 0);
        const row: AnalyticsRow = {
          lists,
          itemsShown: Number(r.items_shown),
          clicks: Number(r.clicks),
          ctr: rate(Number(r.clicks)),
          addToCarts: { reported: Number(r.carts), estimated: 0 },
          purchases: { reported: Number(r.purchases), estimated: Number(r.est_purchases) },
          conversionRate: { reported: rate(Number(r.purchases)), estimated: rate(Number(r.est_purchases)) },
          revenue: { reported: Number(r.revenue ?? 0), estimated: Number(r.est_revenue ?? 0) },
          revenuePerThousandLists: {
            reported: rate(Number(r.revenue ?? 0)) * 1000,
            estimated: rate(Number(r.est_revenue ?? 0)) * 1000,
          },
        };
        const raw = [r.g0, r.g1, r.g2, r.g3];
        q.groupBy.forEach((g, i) => {
          const v = raw[i] ?? null;
          if (g === 'day' || g === 'placement') row[g] = v ?? undefined;
          else row[g] = v;
        });
        return row;
      });
  }
}
