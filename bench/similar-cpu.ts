/**
 * CPU cost of GET /v1/items/:id/similar, in-process (no HTTP), for every indexed item of the full Online Retail
 * data (imported into aisle_bench_api by api-load.ts): the vector-only search similar lists used to be, ranking
 * one list by the similar blend (co-purchase, transitions, vector neighbours), holding every item's list (what
 * the warmer does), and a request served from a held list. CPU time per call (process.cpuUsage: user + system)
 * is steadier than wall time on a shared machine.
 * Usage: npm run build && node dist/bench/similar-cpu.js
 */
import { openRuntime, withContext } from '../src/cli/context';
import { DEFAULT_SIMILAR_BLEND, similarList } from '../src/ranking/similar-ranking';
import { itemFilter } from '../src/recommendations/filters';
import { PurchaseSignalsService } from '../src/recommendations/purchase-signals.service';
import { RecommendationsService } from '../src/recommendations/recommendations.service';
import { CatalogSnapshot } from '../src/catalog/catalog-snapshot';
import { IndexService } from '../src/vector-index/index.service';
import { databaseExists, dbUrl } from './lib/server';

const DB = 'aisle_bench_api';

async function main(): Promise<void> {
  if (!(await databaseExists(DB))) throw new Error(`run bench/api-load.ts once first: it creates ${DB}`);
  process.env.DATABASE_URL = dbUrl(DB);
  const rt = await openRuntime();
  await withContext(rt, async (ctx) => {
    const signals = await ctx.get(PurchaseSignalsService).refresh();
    const index = ctx.get(IndexService);
    const snapshot = ctx.get(CatalogSnapshot);
    const vectorOf = index.vectorLookup();
    const ids = [...(index.current()?.ids() ?? [])].filter((id) => snapshot.get(id) && vectorOf(id));
    const recs = ctx.get(RecommendationsService);
    const opts = {
      limit: 10,
      inStockOnly: true,
      exclude: [],
      includeItems: false,
      explain: false,
      diversity: 0,
    };
    const out: Record<string, unknown> = { bench: 'similar-cpu', items: ids.length };
    const measure = async (name: string, run: (id: string) => unknown) => {
      for (const id of ids.slice(0, 200)) await run(id); // JIT
      const cpu = process.cpuUsage();
      for (const id of ids) await run(id);
      const used = process.cpuUsage(cpu);
      out[name] = +((used.user + used.system) / 1000 / ids.length).toFixed(4);
      process.stdout.write(`${name}: ${String(out[name])} ms CPU per item\n`);
    };
    await measure('vectorOnlySearch', (id) => recs.searchVector(vectorOf(id)!, opts, new Set([id])));
    const sources = { signals, vectorOf, nearest: index.search.bind(index) };
    await measure('rankAfresh', (id) =>
      similarList(
        sources,
        id,
        vectorOf(id),
        itemFilter(snapshot.get.bind(snapshot), opts, new Set([id])),
        DEFAULT_SIMILAR_BLEND,
        10,
      ),
    );
    const cpu = process.cpuUsage();
    const held = await recs.precomputeSimilar();
    const used = process.cpuUsage(cpu);
    out.holdEveryList = {
      lists: held,
      cpuMsPerList: +((used.user + used.system) / 1000 / Math.max(1, held)).toFixed(4),
    };
    process.stdout.write(`hold every list: ${JSON.stringify(out.holdEveryList)}\n`);
    await measure('servedFromHeldList', (id) => recs.similar(id, opts));
    process.stdout.write(`${JSON.stringify(out)}\n`);
  });
  await rt.db.stop();
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
