/**
 * What COPURCHASE_BUYER_DAMPING does to co-purchase neighbours, measured on their own: the item-kNN ranking of the
 * evaluation protocol (docs in the README, "aisle eval"; the `itemknn` row's scoring: Σ of the history items'
 * neighbour similarities) with the neighbours built under each damping given, NDCG@10 on every protocol at the
 * default cutoff. No database and no encoder: the full engine's numbers come from `aisle eval`, this isolates the
 * neighbours it reads.
 * Usage: npm run build && node dist/bench/copurchase-damping.js [--damping 0,0.5,1] [--visits-as-users]
 *        [--crawlers n] [--crawler-items 2000]. --visits-as-users learns from one buyer per invoice (a shop that
 *        cannot link visits, or a session dataset); --crawlers n adds n accounts that each bought --crawler-items
 *        distinct items drawn at random from the catalog, before the cutoff (evaluation/crawlers.ts, as
 *        `aisle eval --crawlers`).
 */
import { loadOnlineRetail } from '../src/online-retail/online-retail.reader';
import { DEFAULT_CUTOFF, evaluate, itemKnnRecommender, split } from '../src/evaluation';
import { CRAWLER_ITEMS, withCrawlers } from '../src/evaluation/crawlers';
import { buildItemKnn } from '../src/ranking/item-knn';
import { buildPurchaseMatrix } from '../src/ranking/purchase-matrix';
import { ONLINE_RETAIL } from './lib/server';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const dampings = arg('--damping', '0,0.5,1').split(',').map(Number);
  const crawlers = Number(arg('--crawlers', '0'));
  const data = await loadOnlineRetail(ONLINE_RETAIL);
  const purchases = withCrawlers(
    data.purchases,
    crawlers,
    DEFAULT_CUTOFF,
    Number(arg('--crawler-items', String(CRAWLER_ITEMS))),
  );
  const s = split(purchases, DEFAULT_CUTOFF);
  const learned = process.argv.includes('--visits-as-users')
    ? s.training.map((p) => ({ userId: `${p.userId}/${p.invoiceNo}`, itemId: p.itemId }))
    : s.training;
  const stats = buildPurchaseMatrix(learned);
  const recommenders = Object.fromEntries(
    dampings.map((d) => [
      `damping ${d}`,
      itemKnnRecommender(buildItemKnn(stats, undefined, { damping: d, maxItems: 0 }), stats.popularity),
    ]),
  );
  const report = await evaluate(s, recommenders);
  for (const [protocol, result] of Object.entries(report.protocols))
    process.stdout.write(
      `${JSON.stringify({
        bench: 'copurchase-damping',
        protocol,
        cases: result.users,
        crawlers,
        visitsAsUsers: process.argv.includes('--visits-as-users'),
        ndcg: Object.fromEntries(Object.entries(result.methods).map(([m, r]) => [m, +r.ndcg.toFixed(4)])),
      })}\n`,
    );
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
