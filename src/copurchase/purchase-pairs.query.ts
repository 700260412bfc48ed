import type { ClientBase } from 'pg';
import type { EventType } from '../events/event.entity';

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
 * Every purchase before `asOf` with its time, live items only, in (user, time) order: the consecutive baskets
 * sequential transitions are learned from. One row per (user, item, time), so a line repeated on an invoice
 * counts once.
 */
export async function readTimedPurchases(
  client: ClientBase,
  asOf: Date,
  types: readonly EventType[],
): Promise<Array<{ userId: string; itemId: string; at: Date }>> {
  const res = await client.query<[string, string, Date]>({
    text: `SELECT DISTINCT e.user_id, e.item_id, e.occurred_at
           FROM events e JOIN items i ON i.id = e.item_id AND i.deleted_at IS NULL
           WHERE e.type = ANY($2::varchar[]) AND e.occurred_at < $1
           ORDER BY e.user_id, e.occurred_at`,
    values: [asOf.toISOString(), types],
    rowMode: 'array',
  });
  return res.rows.map(([userId, itemId, at]) => ({ userId, itemId, at }));
}
