import type { EventType } from './event.entity';

/**
 * The interaction types a shop's signals can be learned from, strongest first. A rating says the shopper had the
 * item (reviews are written by owners), whatever its stars, so it ranks next to a purchase: a shop whose log is
 * its reviews (the shape of many public retail datasets) learns from them as another learns from orders. The
 * stars themselves weigh in profiles only (profile.service.ts).
 */
export const LEARNABLE_TYPES = ['purchase', 'rating', 'add_to_cart', 'view'] as const;
export type LearnableType = (typeof LEARNABLE_TYPES)[number];

/** `LEARN_FROM`: one of the learnable types, or `auto` (the strongest type the shop has sent). */
export type LearnFrom = 'auto' | LearnableType;

/**
 * The event types counted as "bought" by everything learned from the event log (co-purchase neighbours,
 * transitions, popularity and trending, the fine-tune's targets, "never sold"): `type` and every type
 * stronger than it. Learning from views still counts a purchase, which is at least as telling as a view.
 */
export function typesFrom(type: LearnableType): EventType[] {
  return LEARNABLE_TYPES.slice(0, LEARNABLE_TYPES.indexOf(type) + 1);
}

/** Runs one query; both a TypeORM DataSource and a pg client fit (rows come back as objects). */
export type RowQuery = (sql: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>;

/** Events per learnable type in a shop's log (on a big log, estimated from a sample); types absent are 0. */
export type TypeCounts = Record<LearnableType, number>;

/**
 * The strongest learnable type the event log holds, or undefined when it holds none. Strongest first, stopping
 * at the first present: purchases and carts are found through events_strong_type_idx, and views are only
 * asked for when the log holds nothing stronger (so mostly views: the first row a scan meets).
 */
export async function strongestSent(query: RowQuery): Promise<LearnableType | undefined> {
  for (const type of LEARNABLE_TYPES) {
    const rows = await query(`SELECT type FROM events WHERE type = $1 LIMIT 1`, [type]);
    if (rows.length > 0) return type;
  }
  return undefined;
}

/**
 * Up to this much of the events table is counted row by row (~75k events, ~25 ms); a bigger one is counted on a block
 * sample of about this size. A share needs no exact count, and the answer is asked again every minute.
 */
const EXACT_COUNT_MAX_BYTES = 8 * 1024 * 1024;

/**
 * The learnable events per type: counted exactly on a small log, estimated from a fixed block sample (the same
 * blocks in every process, so replicas agree) of ~8 MB on a big one.
 */
export async function countLearnable(
  query: RowQuery,
  exactMaxBytes = EXACT_COUNT_MAX_BYTES,
): Promise<TypeCounts> {
  const [{ bytes }] = await query(`SELECT pg_relation_size('events')::float8 AS bytes`, []);
  const size = Number(bytes);
  const rows =
    size <= exactMaxBytes
      ? await query(`SELECT type, count(*)::float8 AS n FROM events GROUP BY type`, [])
      : await query(
          `SELECT type, count(*)::float8 AS n FROM events TABLESAMPLE SYSTEM ($1) REPEATABLE (1) GROUP BY type`,
          [(100 * exactMaxBytes) / size],
        );
  const counts: TypeCounts = { purchase: 0, rating: 0, add_to_cart: 0, view: 0 };
  for (const r of rows) {
    const type = r.type as LearnableType;
    if (LEARNABLE_TYPES.includes(type)) counts[type] = Number(r.n);
  }
  return counts;
}

/**
 * What `auto` learns from, given the log's counts: the strongest type whose events, with the stronger types',
 * make up at least `minShare` of the learnable events; undefined for an empty log. A shop that sends its
 * clickstream beside its orders has a few orders per hundred views: they alone leave most items without
 * neighbours and most browsing steps without a transition, so such a shop learns from the views too (every
 * stronger event counts as well). With `minShare` 0 the strongest type sent is taken, however rare.
 */
export function learnedTypeOf(counts: TypeCounts, minShare: number): LearnableType | undefined {
  const total = LEARNABLE_TYPES.reduce((sum, t) => sum + counts[t], 0);
  if (total === 0) return undefined;
  let upTo = 0;
  for (const type of LEARNABLE_TYPES) {
    upTo += counts[type];
    if (upTo > 0 && upTo >= minShare * total) return type;
  }
  return 'view';
}

/**
 * The strongest type `auto` learns from now, undefined for an empty log: by the log's counts (learnedTypeOf),
 * or, with `minShare` 0, the strongest type present (no counting).
 */
export async function autoLearnedType(query: RowQuery, minShare: number): Promise<LearnableType | undefined> {
  if (minShare <= 0) return strongestSent(query);
  return learnedTypeOf(await countLearnable(query), minShare);
}

/**
 * Resolves `LEARN_FROM`. `auto` learns from the strongest type the shop sends enough of (autoLearnedType:
 * purchases when they are at least `minShare` of what it sends, else ratings, carts or views, each with the
 * stronger types), so a shop that sends only its clickstream, only its reviews, or its clickstream with its
 * few orders still gets neighbours, transitions, trending and a fine-tune. With no events at all the answer is
 * purchases (nothing to learn).
 */
export async function resolveLearningTypes(
  query: RowQuery,
  setting: LearnFrom,
  minShare: number,
): Promise<EventType[]> {
  if (setting !== 'auto') return typesFrom(setting);
  return typesFrom((await autoLearnedType(query, minShare)) ?? 'purchase');
}
