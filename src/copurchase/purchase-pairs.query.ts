import type { ClientBase } from 'pg';
import type { EventType } from '../events/event.entity';
import type { TimedPurchase } from '../ranking/transitions';

/**
 * Who bought what before `asOf`, once per (user, item), live items only: the binary user×item matrix the
 * co-purchase similarity is defined on (the same rows the in-memory purchase signals aggregate). "Bought" is
 * any of `types`, the types the shop learns from (LEARN_FROM).
 */
export async function readPurchasePairs(
  client: ClientBase,
  asOf: Date,
  types: readonly EventType[],
): Promise<Array<{ userId: string; itemId: string }>> {
  const res = await client.query<[string, string]>({
    text: `SELECT DISTINCT e.user_id, e.item_id
           FROM events e JOIN items i ON i.id = e.item_id AND i.deleted_at IS NULL
           WHERE e.type = ANY($2::varchar[]) AND e.occurred_at < $1`,
    values: [asOf.toISOString(), types],
    // Arrays, not objects: a full history is hundreds of thousands of rows.
    rowMode: 'array',
  });
  return res.rows.map(([userId, itemId]) => ({ userId, itemId }));
}

/**
 * Every purchase before `asOf` with its time, live items only, in (user, time, arrival) order: the consecutive
 * baskets sequential transitions are learned from. One row per (user, item, time), so a line repeated on an
 * invoice counts once. Only purchases are an order's lines: any other type learned from (views, carts,
 * ratings) is `single`, a step of its own in the order it was sent, within the session it was sent with
 * (TimedPurchase.single, .sessionId).
 */
export async function readTimedPurchases(
  client: ClientBase,
  asOf: Date,
  types: readonly EventType[],
): Promise<TimedPurchase[]> {
  const res = await client.query<[string, string, Date, boolean, string | null]>({
    text: `SELECT e.user_id, e.item_id, e.occurred_at, e.type <> 'purchase' AS single,
                  CASE WHEN e.type <> 'purchase' THEN e.session_id END AS session
           FROM events e JOIN items i ON i.id = e.item_id AND i.deleted_at IS NULL
           WHERE e.type = ANY($2::varchar[]) AND e.occurred_at < $1
           GROUP BY e.user_id, e.item_id, e.occurred_at, single, session
           ORDER BY e.user_id, e.occurred_at, min(e.id)`,
    values: [asOf.toISOString(), types],
    rowMode: 'array',
  });
  return res.rows.map(([userId, itemId, at, single, sessionId]) =>
    single
      ? { userId, itemId, at, single, ...(sessionId !== null ? { sessionId } : {}) }
      : { userId, itemId, at },
  );
}
