import { mulberry32 } from '../common/random';
import type { Purchase } from './evaluation.types';

/** How many distinct items one added account buys (`withCrawlers`). */
export const CRAWLER_ITEMS = 2000;
/** The days before the cutoff an added account's purchases are spread over. */
export const CRAWLER_DAYS = 300;

/**
 * `purchases` with `count` accounts added that each bought `items` distinct items drawn at random (seeded, so
 * every run adds the same ones) from the items `purchases` hold, one basket a day on random days of the
 * CRAWLER_DAYS before `before`: the histories of a crawler, a reseller or a test account that buys across the
 * catalog. They buy nothing at or after `before`, so they are never test users; every learner sees them.
 */
export function withCrawlers(
  purchases: readonly Purchase[],
  count: number,
  before: Date,
  items = CRAWLER_ITEMS,
): Purchase[] {
  if (count <= 0) return [...purchases];
  const catalog = [...new Set(purchases.map((p) => p.itemId))].sort();
  const random = mulberry32(7);
  const added: Purchase[] = [];
  for (let c = 0; c < count; c++) {
    const pool = [...catalog];
    const n = Math.min(items, pool.length);
    for (let k = 0; k < n; k++) {
      // A partial Fisher–Yates shuffle: the first n of the pool are n distinct draws.
      const pick = k + Math.floor(random() * (pool.length - k));
      [pool[k], pool[pick]] = [pool[pick], pool[k]];
      const day = 1 + Math.floor(random() * CRAWLER_DAYS);
      added.push({
        eventId: `crawler:${c}:${k}`,
        userId: `crawler-${c}`,
        itemId: pool[k],
        invoiceNo: `crawler-${c}-${day}`,
        timestamp: new Date(before.getTime() - day * 86_400_000),
        quantity: 1,
      });
    }
  }
  // In time order, as the file's own lines are.
  return [...purchases, ...added].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
}
