import type { ClientBase } from 'pg';

/**
 * Who bought what before `asOf`, once per (user, item), live items only: the binary user×item matrix the
 * co-purchase similarity is defined on (the same rows the in-memory interaction model used to aggregate).
 */
export async function readPurchasePairs(
  client: ClientBase,
  asOf: Date,
): Promise<Array<{ userId: string; itemId: string }>> {
  const res = await client.query<[string, string]>({
    text: `SELECT DISTINCT e.user_id, e.item_id
           FROM events e JOIN items i ON i.id = e.item_id AND i.deleted_at IS NULL
           WHERE e.type = 'purchase' AND e.occurred_at < $1`,
    values: [asOf.toISOString()],
    // Arrays, not objects: a full history is hundreds of thousands of rows.
    rowMode: 'array',
  });
  return res.rows.map(([userId, itemId]) => ({ userId, itemId }));
}
