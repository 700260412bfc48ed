/**
 * CPU cost of GET /v1/items/:id/similar, in-process (no HTTP), for every indexed item of the full Online Retail
 * data (imported into aisle_bench_api by api-load.ts): the vector-only search similar lists used to be, ranking
 * one list by the similar blend (co-purchase, transitions, vector neighbours), holding every item's list (what
 * the warmer does), and a request served from a held list. CPU time per call (process.cpuUsage: user + system)
 * is steadier than wall time on a shared machine. The lists ranked afresh and the lists served from held ones are
 * each summed up in a digest (ids and scores), to show a speed-up or a refactoring left them unchanged.
 * Usage: npm run build && node dist/bench/similar-cpu.js
 */
import { createHash } from 'crypto';
import { openRuntime, withContext } from '../src/cli/context';
import { DEFAULT_SIMILAR_BLEND, similarList, type SimilarList } from '../src/ranking/similar-ranking';
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
    const digests: Record<string, string> = {};
    const measure = async (
      name: string,
      run: (id: string) => unknown,
      listOf?: (served: unknown) => Iterable<[string, number]>,
    ) => {
      for (const id of ids.slice(0, 200)) await run(id); // JIT
      const lists: unknown[] = [];
      const cpu = process.cpuUsage();
      for (const id of ids) lists.push(await run(id));
      const used = process.cpuUsage(cpu);
      out[name] = +((used.user + used.system) / 1000 / ids.length).toFixed(4);
      process.stdout.write(`${name}: ${String(out[name])} ms CPU per item\n`);
      if (!listOf) return;
      // Outside the timed loop: the same digest before and after a change means the same lists (ids and scores).
      const digest = createHash('sha256');
      lists.forEach((l, i) => {
        digest.update(`${ids[i]}>`);
        for (const [id, score] of listOf(l)) digest.update(`${id}:${score};`);
      });
      digests[name] = digest.digest('hex').slice(0, 16);
      process.stdout.write(`${name} lists: ${digests[name]}\n`);
    };
    await measure('vectorOnlySearch', (id) => recs.searchVector(vectorOf(id)!, opts, new Set([id])));
    const sources = { signals, vectorOf, nearest: index.search.bind(index) };
    await measure(
      'rankAfresh',
      (id) =>
        similarList(
          sources,
          id,
          vectorOf(id),
          itemFilter(snapshot.get.bind(snapshot), opts, new Set([id])),
          DEFAULT_SIMILAR_BLEND,
          10,
        ),
      (l) => {
        const list = l as SimilarList;
        return list.ids.map((id, i): [string, number] => [id, list.scores[i]]);
      },
    );
    const cpu = process.cpuUsage();
    const held = await recs.precomputeSimilar();
    const used = process.cpuUsage(cpu);
    out.holdEveryList = {
      lists: held,
      cpuMsPerList: +((used.user + used.system) / 1000 / Math.max(1, held)).toFixed(4),
    };
    process.stdout.write(`hold every list: ${JSON.stringify(out.holdEveryList)}\n`);
    await measure(
      'servedFromHeldList',
      (id) => recs.similar(id, opts),
      (l) =>
        (l as { items: Array<{ id: string; score: number }> }).items.map((it): [string, number] => [
          it.id,
          it.score,
        ]),
    );
    out.lists = digests;
    process.stdout.write(`${JSON.stringify(out)}\n`);
  });
  await rt.db.stop();
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
