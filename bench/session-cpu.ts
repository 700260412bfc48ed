/**
 * CPU cost of one session (cart) list, in-process (no HTTP): POST /v1/recommendations with 10 items minus the
 * framework, over real carts of the full Online Retail data (each purchasing user's last 10 distinct items; the
 * database aisle_bench_api is made by api-load.ts). Reports CPU time per list (process.cpuUsage, steadier than
 * wall time on a shared machine), wall-time percentiles and a digest of the lists served, after 200 lists for
 * the JIT.
 * Usage: npm run build && node dist/bench/session-cpu.js [--sessions 2000] [--rounds 1] [--finetuned] (the fine-tune's
 *        vectors and blends: lib/bench-data.ts). With --rounds n the pass runs n times and the cheapest is reported.
 */
import { createHash } from 'crypto';
import { DataSource } from 'typeorm';
import { openRuntime, withContext } from '../src/cli/context';
import { PurchaseSignalsService } from '../src/recommendations/purchase-signals.service';
import { RecommendationsService } from '../src/recommendations/recommendations.service';
import { IndexService } from '../src/vector-index/index.service';
import { finetunedBenchData, rawBenchData, RAW_DB, wantsFinetuned } from './lib/bench-data';
import { adminUrl, databaseExists } from './lib/server';

const DB = RAW_DB;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  if (!(await databaseExists(DB))) throw new Error(`run bench/api-load.ts once first: it creates ${DB}`);
  // --finetuned: the fine-tune's projected vectors and tuned blends (lib/bench-data.ts).
  const data = wantsFinetuned() ? await finetunedBenchData(adminUrl()) : rawBenchData();
  Object.assign(process.env, data.env);
  // Every list gathered: with held candidate sets (session-set-cache.ts) a second round would only look them up.
  process.env.RECS_SESSION_CACHE_MAX_BYTES = '0';
  const limit = process.argv.includes('--sessions')
    ? Number(process.argv[process.argv.indexOf('--sessions') + 1])
    : 2000;
  const rt = await openRuntime();
  await withContext(rt, async (ctx) => {
    await ctx.get(PurchaseSignalsService).refresh();
    const index = ctx.get(IndexService);
    // Without an index every session item is embedded on the spot (in the encoder's process, which
    // process.cpuUsage does not see): the numbers would measure the encoder's queue, not the ranking.
    if (!index.current())
      throw new Error('no vector index in DATA_DIR: run bench/api-load.ts from here once');
    const vectorOf = index.vectorLookup();
    for (const id of index.current()?.ids() ?? []) vectorOf(id);
    const rows: Array<{ ids: string[] }> = await ctx.get(DataSource).query(
      `SELECT (array_agg(item_id ORDER BY last_at))[1:10] AS ids
         FROM (SELECT user_id, item_id, max(occurred_at) AS last_at FROM events
                WHERE type = 'purchase' GROUP BY user_id, item_id) d
        GROUP BY user_id HAVING count(*) >= 10 ORDER BY user_id LIMIT $1`,
      [limit + 200],
    );
    const recs = ctx.get(RecommendationsService);
    const opts = {
      limit: 10,
      inStockOnly: true,
      exclude: [],
      includeItems: false,
      explain: false,
      diversity: 0,
    };
    for (const r of rows.slice(limit)) await recs.session(r.ids, undefined, opts);
    const sessions = rows.slice(0, limit).map((r) => r.ids);
    // --rounds n: the same pass n times, reporting the cheapest (a shared machine only ever adds time).
    const rounds = process.argv.includes('--rounds')
      ? Number(process.argv[process.argv.indexOf('--rounds') + 1])
      : 1;
    const perRound: number[] = [];
    let times: number[] = [];
    let lists = '';
    for (let round = 0; round < rounds; round++) {
      const roundTimes: number[] = [];
      const digest = createHash('sha256');
      const cpu = process.cpuUsage();
      for (const s of sessions) {
        const t0 = process.hrtime.bigint();
        const list = await recs.session(s, undefined, opts);
        roundTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
        for (const it of list.items) digest.update(`${it.id}:${it.score};`);
      }
      const used = process.cpuUsage(cpu);
      const ms = (used.user + used.system) / 1000 / sessions.length;
      if (perRound.length === 0 || ms < Math.min(...perRound)) times = roundTimes;
      perRound.push(ms);
      lists = digest.digest('hex').slice(0, 16);
    }
    times.sort((a, b) => a - b);
    const out = {
      bench: 'session-cpu',
      vectors: data.label,
      sessions: sessions.length,
      cpuMsPerList: +Math.min(...perRound).toFixed(3),
      ...(rounds > 1 ? { rounds: perRound.map((x) => +x.toFixed(3)) } : {}),
      p50Ms: +pct(times, 50).toFixed(3),
      p99Ms: +pct(times, 99).toFixed(3),
      // The same digest before and after a change: it served the same lists (ids and scores).
      lists,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  });
  await rt.db.stop();
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
