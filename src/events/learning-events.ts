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
export type RowQuery = (sql: string, params: unknown[]) => Promise<Array<{ type: string }>>;

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
 * Resolves `LEARN_FROM`. `auto` takes purchases when the shop has sent any, else add-to-carts, else views:
 * a shop that sends only its clickstream (or only carts) still gets neighbours, transitions, trending and a
 * fine-tune, and any shop with purchases learns from them alone, as before. A shop whose purchases are too
 * few to learn from names the type itself. With no events at all the answer is purchases (nothing to learn).
 */
export async function resolveLearningTypes(query: RowQuery, setting: LearnFrom): Promise<EventType[]> {
  if (setting !== 'auto') return typesFrom(setting);
  return typesFrom((await strongestSent(query)) ?? 'purchase');
}
