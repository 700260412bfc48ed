import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export const GROUP_BY = ['day', 'placement', 'variant', 'modelVersion'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

const GROUP_COLUMN: Record<GroupBy, string> = {
  day: `to_char(date_trunc('day', l.served_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`,
  placement: 'l.source',
  variant: 'l.variant',
  modelVersion: 'l.model_version',
};

export interface AnalyticsQuery {
  from: Date;
  to: Date;
  placement?: string;
  groupBy: GroupBy[];
  windowHours: number;
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
 */
@Injectable()
export class AnalyticsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async query(q: AnalyticsQuery): Promise<AnalyticsRow[]> {
    const groups = q.groupBy.map((g, i) => `${GROUP_COLUMN[g]} AS g${i}`);
    const groupRefs = q.groupBy.map((_, i) => `g${i}`);
    const select = groups.length > 0 ? `${groups.join(', ')},` : '';
    const groupClause =
      groupRefs.length > 0 ? `GROUP BY ${groupRefs.join(', ')} ORDER BY ${groupRefs.join(', ')}` : '';
    const rows: RawRow[] = await this.db.query(
      `WITH lists AS (
         SELECT * FROM served_lists
         WHERE served_at >= $1::timestamptz AND served_at < $2::timestamptz AND ($3::varchar IS NULL OR source = $3)
       ),
       reported AS (
         SELECT e.recomm_id,
                count(*) FILTER (WHERE e.type = 'view') AS clicks,
                count(*) FILTER (WHERE e.type = 'add_to_cart') AS carts,
                count(*) FILTER (WHERE e.type = 'purchase') AS purchases,
                sum(COALESCE(e.value, 1) * COALESCE(e.price, i.price, 0)) FILTER (WHERE e.type = 'purchase') AS revenue
         FROM events e JOIN lists l ON l.recomm_id = e.recomm_id
         LEFT JOIN items i ON i.id = e.item_id
         GROUP BY e.recomm_id
       ),
       estimated AS (
         SELECT hit.recomm_id, count(*) AS purchases,
                sum(COALESCE(e.value, 1) * COALESCE(e.price, i.price, 0)) AS revenue
         FROM events e
         LEFT JOIN items i ON i.id = e.item_id
         CROSS JOIN LATERAL (
           SELECT s.recomm_id FROM served_lists s
           WHERE (s.user_id = e.user_id OR (e.session_id IS NOT NULL AND s.session_id = e.session_id))
             AND s.served_at <= e.occurred_at
             AND s.served_at > e.occurred_at - make_interval(hours => $4::int)
             AND e.item_id = ANY (s.item_ids)
           ORDER BY s.served_at DESC, s.recomm_id DESC
           LIMIT 1
         ) hit
         WHERE e.type = 'purchase' AND e.recomm_id IS NULL
           AND e.occurred_at >= $1::timestamptz AND e.occurred_at < $2::timestamptz + make_interval(hours => $4::int)
         GROUP BY hit.recomm_id
       )
       SELECT ${select}
              count(*) AS lists,
              COALESCE(sum(cardinality(l.item_ids)), 0) AS items_shown,
              COALESCE(sum(r.clicks), 0) AS clicks,
              COALESCE(sum(r.carts), 0) AS carts,
              COALESCE(sum(r.purchases), 0) AS purchases,
              COALESCE(sum(r.revenue), 0)::float8 AS revenue,
              COALESCE(sum(x.purchases), 0) AS est_purchases,
              COALESCE(sum(x.revenue), 0)::float8 AS est_revenue
       FROM lists l
       LEFT JOIN reported r ON r.recomm_id = l.recomm_id
       LEFT JOIN estimated x ON x.recomm_id = l.recomm_id
       ${groupClause}`,
      [q.from.toISOString(), q.to.toISOString(), q.placement ?? null, q.windowHours],
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
