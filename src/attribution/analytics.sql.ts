/**
 * The analytics SQL shared by the reader (GET /v1/admin/analytics) and the rollup job, so that a day read
 * from the rollup tables and a day computed from the raw rows are the same computation by construction.
 *
 * Both work on "rollup-shaped" rows: per (UTC day, source, variant, model version) the lists, items shown,
 * clicks, add-to-carts and purchases, plus the revenue of purchases that carried a price; purchases without
 * one are kept apart as units per item, priced with the item's price when read. Revenue is summed in
 * `numeric`, which is exact and order-independent, so regrouping never changes a figure in the last digit.
 */

/** Parameter placeholders (e.g. `$3`) or SQL literals the fragments are built with. */
export interface LiveParams {
  /** One placement (or endpoint) only, or NULL for all. */
  placement: string;
  windowHours: string;
}

/**
 * CTEs `live_groups` and `live_unpriced` computed from served_lists and events for the lists served within
 * `ranges`, a CTE with columns (lo, hi) that must precede the fragment. Reported figures join events by recommId; an estimated conversion is a purchase without recommId
 * credited to the latest list shown to the same user or session within the window that contained the item.
 */
export function liveCtes(p: LiveParams): string {
  // The planner cannot see how few and how narrow the ranges are (often a day or two of a long period) and
  // would scan whole tables; each lookup below is a LATERAL subquery with OFFSET 0, which it must run as an
  // index lookup per range or per list.
  const window = `make_interval(hours => ${p.windowHours}::int)`;
  return `
  live_lists AS (
    SELECT l.*
    FROM ranges r
    CROSS JOIN LATERAL (
      SELECT l.recomm_id, (l.served_at AT TIME ZONE 'UTC')::date AS day, l.source, l.variant, l.model_version,
             cardinality(l.item_ids) AS shown
      FROM served_lists l
      WHERE l.served_at >= r.lo AND l.served_at < r.hi
        AND (${p.placement}::varchar IS NULL OR l.source = ${p.placement}::varchar)
      OFFSET 0
    ) l
  ),
  live_candidates AS (
    SELECT DISTINCT ON (e.id) e.*
    FROM ranges r
    CROSS JOIN LATERAL (
      SELECT e.id, e.user_id, e.session_id, e.item_id, e.occurred_at, e.price, e.value
      FROM events e
      WHERE e.occurred_at >= r.lo AND e.occurred_at < r.hi + ${window}
        AND e.type = 'purchase' AND e.recomm_id IS NULL
      OFFSET 0
    ) e
  ),
  live_conv AS (
    SELECT l.recomm_id, e.type, e.item_id, e.price, COALESCE(e.value, 1)::numeric AS units, false AS est
    FROM live_lists l
    CROSS JOIN LATERAL (
      SELECT e.type, e.item_id, e.price, e.value FROM events e
      WHERE e.recomm_id = l.recomm_id AND e.type IN ('view', 'add_to_cart', 'purchase')
      OFFSET 0
    ) e
    UNION ALL
    SELECT hit.recomm_id, 'purchase', c.item_id, c.price, COALESCE(c.value, 1)::numeric, true
    FROM live_candidates c
    CROSS JOIN LATERAL (
      SELECT s.recomm_id FROM served_lists s
      WHERE (s.user_id = c.user_id OR (c.session_id IS NOT NULL AND s.session_id = c.session_id))
        AND s.served_at <= c.occurred_at AND s.served_at > c.occurred_at - ${window}
        AND c.item_id = ANY (s.item_ids)
      ORDER BY s.served_at DESC, s.recomm_id DESC
      LIMIT 1
    ) hit
    -- A hit outside the ranges (or of another placement) drops out below, where conversions join live_lists.
  ),
  live_per_list AS (
    SELECT recomm_id,
           count(*) FILTER (WHERE NOT est AND type = 'view') AS clicks,
           count(*) FILTER (WHERE NOT est AND type = 'add_to_cart') AS carts,
           count(*) FILTER (WHERE NOT est AND type = 'purchase') AS purchases,
           sum(units * price::numeric) FILTER (WHERE NOT est AND type = 'purchase') AS revenue,
           count(*) FILTER (WHERE est) AS est_purchases,
           sum(units * price::numeric) FILTER (WHERE est) AS est_revenue
    FROM live_conv GROUP BY recomm_id
  ),
  live_groups AS (
    SELECT l.day, l.source, l.variant, l.model_version,
           count(*)::bigint AS lists,
           COALESCE(sum(l.shown), 0)::bigint AS items_shown,
           COALESCE(sum(p.clicks), 0)::bigint AS clicks,
           COALESCE(sum(p.carts), 0)::bigint AS carts,
           COALESCE(sum(p.purchases), 0)::bigint AS purchases,
           COALESCE(sum(p.revenue), 0)::numeric AS revenue,
           COALESCE(sum(p.est_purchases), 0)::bigint AS est_purchases,
           COALESCE(sum(p.est_revenue), 0)::numeric AS est_revenue
    FROM live_lists l LEFT JOIN live_per_list p ON p.recomm_id = l.recomm_id
    GROUP BY l.day, l.source, l.variant, l.model_version
  ),
  live_unpriced AS (
    SELECT l.day, l.source, l.variant, l.model_version, c.item_id,
           COALESCE(sum(c.units) FILTER (WHERE NOT c.est), 0)::numeric AS units,
           COALESCE(sum(c.units) FILTER (WHERE c.est), 0)::numeric AS est_units
    FROM live_conv c JOIN live_lists l ON l.recomm_id = c.recomm_id
    WHERE c.type = 'purchase' AND c.price IS NULL
    GROUP BY l.day, l.source, l.variant, l.model_version, c.item_id
  )`;
}

/**
 * CTE `stale`: the UTC days whose rollup a write has touched since the rollup job last ran, resolved under
 * the caller's snapshot: a served list's day, the day of the list an event's recommId names, and for a
 * purchase without recommId its day and the days the attribution window reaches back into.
 */
export function staleCte(windowHours: string): string {
  return `
  stale AS (
    SELECT list_day AS day FROM analytics_stale WHERE list_day IS NOT NULL
    UNION
    SELECT (s.served_at AT TIME ZONE 'UTC')::date
    FROM analytics_stale m JOIN served_lists s ON s.recomm_id = m.recomm_id
    WHERE m.recomm_id IS NOT NULL
    UNION
    SELECT m.purchase_day - k
    FROM analytics_stale m CROSS JOIN generate_series(0, ceil(${windowHours}::int / 24.0)::int) k
    WHERE m.purchase_day IS NOT NULL
  )`;
}
