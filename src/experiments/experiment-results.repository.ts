import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Sample } from './statistics';

/** One variant's lists and what they earned, summarised per list (sums and sums of squares). */
export interface VariantAggregate {
  variant: string;
  lists: number;
  /** Distinct users, or sessions for lists served without a user. */
  users: number;
  /** Items the variant put in front of shoppers (in interleaved lists: the items it drafted). */
  itemsShown: number;
  clicks: Sample;
  /** Lists with at least one click credited to the variant. */
  clickedLists: number;
  conversions: Sample;
  revenue: Sample;
}

export interface DayAggregate {
  day: string;
  variant: string;
  lists: number;
  clicks: number;
  conversions: number;
  revenue: number;
}

export interface InterleavingOutcome {
  /** Lists whose clicks favoured the second variant. */
  wins: number;
  /** Lists whose clicks favoured the first (the control). */
  losses: number;
  /** Lists clicked as much on both teams' items. */
  ties: number;
  /** Lists nobody clicked: they favour neither and carry no information. */
  noClicks: number;
}

interface Row {
  variant: string;
  day: string | null;
  lists: number;
  users: number;
  shown: number;
  clicks: number;
  clicks_sq: number;
  clicked: number;
  conversions: number;
  conversions_sq: number;
  revenue: number;
  revenue_sq: number;
}

/**
 * Per list and variant ("team"): what the variant showed and the clicks, purchases and revenue credited to
 * it. An A/B list belongs to its variant alone and every event carrying its recommId counts; an interleaved
 * list belongs to both teams, and an event counts for the team that drafted the item it names.
 */
const PER_TEAM = `
  WITH lists AS (
    SELECT recomm_id, variant, user_id, session_id, item_ids, item_teams, served_at
    FROM served_lists WHERE experiment_id = $1
  ),
  per_team AS (
    SELECT l.recomm_id, t.team,
           to_char(date_trunc('day', l.served_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day,
           COALESCE('u:' || l.user_id, 's:' || l.session_id) AS unit,
           CASE WHEN l.item_teams IS NULL THEN cardinality(l.item_ids)
                ELSE cardinality(array_positions(l.item_teams, t.team)) END AS shown,
           count(e.id) FILTER (WHERE e.type = 'view')::float8 AS clicks,
           count(e.id) FILTER (WHERE e.type = 'purchase')::float8 AS conversions,
           COALESCE(sum(COALESCE(e.value, 1) * COALESCE(e.price, i.price, 0))
                      FILTER (WHERE e.type = 'purchase'), 0)::float8 AS revenue
    FROM lists l
    CROSS JOIN LATERAL unnest(CASE WHEN l.item_teams IS NULL THEN ARRAY[l.variant] ELSE $2::varchar[] END) AS t(team)
    LEFT JOIN events e ON e.recomm_id = l.recomm_id
         AND (l.item_teams IS NULL OR l.item_teams[array_position(l.item_ids, e.item_id)] = t.team)
    LEFT JOIN items i ON i.id = e.item_id
    GROUP BY l.recomm_id, t.team, day, unit, shown
  )`;

/**
 * Experiment results computed in SQL from the served lists and the events each time they are asked for, so
 * they can never drift from the data; events are stored once per eventId, so a repeated event never counts
 * twice.
 */
@Injectable()
export class ExperimentResultsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async aggregate(
    experimentId: string,
    variants: readonly string[],
  ): Promise<{ totals: VariantAggregate[]; days: DayAggregate[] }> {
    const rows: Row[] = await this.db.query(
      `${PER_TEAM}
       SELECT team AS variant, CASE WHEN GROUPING(day) = 1 THEN NULL ELSE day END AS day,
              count(*)::float8 AS lists, count(DISTINCT unit)::float8 AS users, sum(shown)::float8 AS shown,
              sum(clicks) AS clicks, sum(clicks * clicks) AS clicks_sq,
              count(*) FILTER (WHERE clicks > 0)::float8 AS clicked,
              sum(conversions) AS conversions, sum(conversions * conversions) AS conversions_sq,
              sum(revenue) AS revenue, sum(revenue * revenue) AS revenue_sq
       FROM per_team
       GROUP BY GROUPING SETS ((team), (team, day))
       ORDER BY team, day NULLS FIRST`,
      [experimentId, variants],
    );
    const totals: VariantAggregate[] = [];
    const days: DayAggregate[] = [];
    for (const r of rows) {
      if (r.day === null)
        totals.push({
          variant: r.variant,
          lists: r.lists,
          users: r.users,
          itemsShown: r.shown,
          clicks: { n: r.lists, sum: r.clicks, sumSq: r.clicks_sq },
          clickedLists: r.clicked,
          conversions: { n: r.lists, sum: r.conversions, sumSq: r.conversions_sq },
          revenue: { n: r.lists, sum: r.revenue, sumSq: r.revenue_sq },
        });
      else
        days.push({
          day: r.day,
          variant: r.variant,
          lists: r.lists,
          clicks: r.clicks,
          conversions: r.conversions,
          revenue: r.revenue,
        });
    }
    return { totals, days };
  }

  /** Interleaved lists by the variant their clicks favoured: `variants[1]` (wins), `variants[0]` (losses). */
  async interleaving(
    experimentId: string,
    variants: readonly [string, string],
  ): Promise<InterleavingOutcome> {
    const rows: Array<{ wins: number; losses: number; ties: number; no_clicks: number }> =
      await this.db.query(
        `${PER_TEAM}
       SELECT count(*) FILTER (WHERE b > a)::int AS wins, count(*) FILTER (WHERE a > b)::int AS losses,
              count(*) FILTER (WHERE a = b AND a > 0)::int AS ties,
              count(*) FILTER (WHERE a = 0 AND b = 0)::int AS no_clicks
       FROM (SELECT recomm_id,
                    COALESCE(sum(clicks) FILTER (WHERE team = $2[1]), 0) AS a,
                    COALESCE(sum(clicks) FILTER (WHERE team = $2[2]), 0) AS b
             FROM per_team GROUP BY recomm_id) per_list`,
        [experimentId, variants],
      );
    const r = rows[0];
    return { wins: r.wins, losses: r.losses, ties: r.ties, noClicks: r.no_clicks };
  }
}
