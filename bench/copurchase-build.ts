/**
 * What one account that buys (or views) across a big catalog costs the co-purchase build, and what
 * COPURCHASE_MAX_BUYER_ITEMS saves: a seeded shop of 50,000 shoppers with 10 random items each from 50,000, plus
 * one account of `--account-items` distinct items, built with the engine's damping and each limit given.
 * No database: buildItemKnn alone, as the co-purchase job's worker runs it.
 * Usage: npm run build && node dist/bench/copurchase-build.js [--account-items 30000] [--max-items 0,5000]
 */
import { mulberry32 } from '../src/common/random';
import { buildItemKnn, DEFAULT_BUYERS } from '../src/ranking/item-knn';
import { buildPurchaseMatrix } from '../src/ranking/purchase-matrix';

const SHOPPERS = 50_000;
const ITEMS = 50_000;
const ITEMS_PER_SHOPPER = 10;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

function main(): void {
  const accountItems = Number(arg('--account-items', '30000'));
  const limits = arg('--max-items', `0,${DEFAULT_BUYERS.maxItems}`).split(',').map(Number);
  const random = mulberry32(1);
  const bought: Array<{ userId: string; itemId: string }> = [];
  for (let u = 0; u < SHOPPERS; u++)
    for (let k = 0; k < ITEMS_PER_SHOPPER; k++)
      bought.push({ userId: `u${u}`, itemId: `i${Math.floor(random() * ITEMS)}` });
  for (let k = 0; k < accountItems; k++) bought.push({ userId: 'account', itemId: `i${k}` });
  const stats = buildPurchaseMatrix(bought);
  for (const maxItems of limits) {
    const started = process.hrtime.bigint();
    const knn = buildItemKnn(stats, undefined, { damping: DEFAULT_BUYERS.damping, maxItems });
    process.stdout.write(
      `${JSON.stringify({
        bench: 'copurchase-build',
        shoppers: SHOPPERS,
        items: ITEMS,
        accountItems,
        maxItems,
        neighbourRows: knn.neighbors.length,
        buildMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
      })}\n`,
    );
  }
}

main();
