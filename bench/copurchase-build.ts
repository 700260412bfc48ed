/**
 * What one account that buys (or views) across a big catalog costs the co-purchase build, and what
 * COPURCHASE_MAX_BUYER_ITEMS saves: a seeded shop of 50,000 shoppers with 10 random items each from 50,000, plus
 * one account of `--account-items` distinct items, built with the engine's damping and each limit given.
 * No database: buildItemKnn alone, as the co-purchase job's worker runs it. Then the transitions between
 * consecutive orders (buildTransitions): every shopper's 10 items as two orders of 5, the account's as `--orders`
 * consecutive orders of `--order-lines` lines from its items, under each pair budget of `--pair-budgets` (0: none;
 * the default budget is MAX_TRANSITION_PAIRS_PER_SEQUENCE), with the process's RSS after each build.
 * Usage: npm run build && node dist/bench/copurchase-build.js [--account-items 30000] [--max-items 0,5000]
 *   [--orders 10] [--order-lines 5000] [--pair-budgets 0,5000000]
 */
import { buildTransitions, MAX_TRANSITION_PAIRS_PER_SEQUENCE } from '../src/ranking/transitions';
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
  const orders = Number(arg('--orders', '10'));
  const lines = Number(arg('--order-lines', '5000'));
  const budgets = arg('--pair-budgets', `0,${MAX_TRANSITION_PAIRS_PER_SEQUENCE}`).split(',').map(Number);
  const sequences: string[][][] = [];
  for (let u = 0; u < SHOPPERS; u++) {
    const items = bought.slice(u * ITEMS_PER_SHOPPER, (u + 1) * ITEMS_PER_SHOPPER).map((b) => b.itemId);
    sequences.push([items.slice(0, ITEMS_PER_SHOPPER / 2), items.slice(ITEMS_PER_SHOPPER / 2)]);
  }
  // Each order a different run of the account's items, as a reseller's restocks overlap.
  sequences.push(
    Array.from({ length: orders }, (_, o) =>
      Array.from({ length: lines }, (_, k) => `i${(o * 997 + k) % Math.max(1, accountItems)}`),
    ),
  );
  // The budget leaves the account out before any of its pairs is counted, so the uncapped build runs last.
  for (const budget of [...budgets].sort((a, b) => (b === 0 ? -1 : a === 0 ? 1 : a - b))) {
    const started = process.hrtime.bigint();
    const stats = { sequencesLeftOut: 0 };
    const t = buildTransitions(sequences, undefined, stats, budget > 0 ? budget : Infinity);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'transitions-build',
        shoppers: SHOPPERS,
        accountOrders: orders,
        orderLines: lines,
        pairBudget: budget > 0 ? budget : null,
        sequencesLeftOut: stats.sequencesLeftOut,
        items: t.itemIds.length,
        buildMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
        rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
      })}\n`,
    );
  }
}

main();
