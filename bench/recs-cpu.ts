/**
 * CPU cost of one personalised list, in-process (no HTTP): GET /v1/users/:id/recommendations minus the
 * framework, for every buyer of the full Online Retail data (imported into aisle_bench_api by api-load.ts).
 * Reports the cold pass (profiles read from PostgreSQL) and a warm pass (profiles cached; lists too unless
 * RECS_CACHE_TTL_MS=0): wall-time percentiles per call and CPU time per call (process.cpuUsage: user + system,
 * steadier than wall time on a shared machine). Item vectors are copied out of the index once per index (a
 * server does it in the background after loading one), and the code is compiled by the JIT on 200 other users'
 * lists: both are done before the passes, which measure lists as a server that has been up a while computes them.
 * Each pass also prints a digest of the lists it served (ids and scores), to show a speed-up left them unchanged.
 * Profile weights decay with the clock, so scores drift in their last rounded digit between runs: `--now ISO`
 * ranks every list as of that moment, and digests of two runs compare (with RECS_CACHE_TTL_MS=0 only: the list
 * cache serves lists of the present).
 * Usage: npm run build && RECS_CACHE_TTL_MS=0 node dist/bench/recs-cpu.js [--users 2000] [--now 2026-11-30T00:00:00Z]
 *        [--rounds 1] [--finetuned] (the fine-tune's vectors and blends: lib/bench-data.ts). With --rounds n the
 *        warm pass runs n times and the cheapest is reported (warmRounds: each one's CPU per call).
 *        `--db NAME` measures another bench database instead, served from the index `aisle reindex` built in
 *        DATA_DIR: e.g. DATA_DIR=<dir> node dist/src/cli.js reindex on DATABASE_URL …/aisle_bench_large (made by
 *        large-catalog.ts), then DATA_DIR=<dir> RECS_CACHE_TTL_MS=0 node dist/bench/recs-cpu.js --db
 *        aisle_bench_large --users 300.
 */
import { createHash } from 'crypto';
import { openRuntime, withContext } from '../src/cli/context';
import { PurchaseSignalsService } from '../src/recommendations/purchase-signals.service';
import { RecommendationsService } from '../src/recommendations/recommendations.service';
import { IndexService } from '../src/vector-index/index.service';
import { DataSource } from 'typeorm';
import { finetunedBenchData, rawBenchData, RAW_DB, wantsFinetuned } from './lib/bench-data';
import { adminUrl, databaseExists, dbUrl } from './lib/server';

const DB = RAW_DB;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  // --db: another bench database, served from the index in DATA_DIR (see the usage above).
  const other = process.argv.includes('--db') ? process.argv[process.argv.indexOf('--db') + 1] : undefined;
  if (!(await databaseExists(other ?? DB)))
    throw new Error(other ? `no database ${other}` : `run bench/api-load.ts once first: it creates ${DB}`);
  // --finetuned: the fine-tune's projected vectors and tuned blends (lib/bench-data.ts).
  const data = other
    ? { url: dbUrl(other), env: { DATABASE_URL: dbUrl(other) }, label: other }
    : wantsFinetuned()
      ? await finetunedBenchData(adminUrl())
      : rawBenchData();
  Object.assign(process.env, data.env);
  const limit = process.argv.includes('--users')
    ? Number(process.argv[process.argv.indexOf('--users') + 1])
    : 2000;
  const at = process.argv.includes('--now')
    ? new Date(process.argv[process.argv.indexOf('--now') + 1])
    : undefined;
  if (at && Number.isNaN(at.getTime())) throw new Error('--now takes an ISO date');
  const rt = await openRuntime();
  await withContext(rt, async (ctx) => {
    await ctx.get(PurchaseSignalsService).refresh();
    const index = ctx.get(IndexService);
    const vectorOf = index.vectorLookup();
    for (const id of index.current()?.ids() ?? []) vectorOf(id);
    const rows: Array<{ user_id: string }> = await ctx
      .get(DataSource)
      .query(`SELECT DISTINCT user_id FROM events WHERE type = 'purchase' ORDER BY user_id`);
    const users = rows.map((r) => r.user_id).slice(0, limit);
    const recs = ctx.get(RecommendationsService);
    const opts = {
      limit: 10,
      inStockOnly: true,
      exclude: [],
      includeItems: false,
      explain: false,
      diversity: 0,
      excludePurchased: false,
    };
    for (const u of rows.map((r) => r.user_id).slice(limit, limit + 200)) await recs.forUser(u, opts, at);
    const out: Record<string, unknown> = { bench: 'recs-cpu', vectors: data.label, users: users.length };
    // --rounds n: the warm pass n times, reporting the cheapest (a shared machine only ever adds time).
    const rounds = process.argv.includes('--rounds')
      ? Number(process.argv[process.argv.indexOf('--rounds') + 1])
      : 1;
    const warmRounds: number[] = [];
    for (const pass of ['cold', ...Array.from({ length: rounds }, () => 'warm')]) {
      const times: number[] = [];
      const started = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      const digest = createHash('sha256');
      for (const u of users) {
        const t0 = process.hrtime.bigint();
        const list = await recs.forUser(u, opts, at);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        for (const it of list.items) digest.update(`${it.id}:${it.score};`);
      }
      const wall = Number(process.hrtime.bigint() - started) / 1e6;
      const used = process.cpuUsage(cpu);
      times.sort((a, b) => a - b);
      const r = {
        meanMs: +(wall / users.length).toFixed(3),
        // CPU time (user + system) per call: steadier than wall time on a shared machine.
        cpuMsPerCall: +((used.user + used.system) / 1000 / users.length).toFixed(3),
        p50Ms: +pct(times, 50).toFixed(3),
        p99Ms: +pct(times, 99).toFixed(3),
        maxMs: +times[times.length - 1].toFixed(3),
        // The same digest before and after a change: it served the same lists (ids and scores).
        lists: digest.digest('hex').slice(0, 16),
      };
      if (pass === 'cold' || warmRounds.length === 0 || r.cpuMsPerCall < Math.min(...warmRounds))
        out[pass] = r;
      if (pass === 'warm') warmRounds.push(r.cpuMsPerCall);
      process.stdout.write(`${pass}: ${JSON.stringify(r)}\n`);
    }
    if (rounds > 1) out.warmRounds = warmRounds;
    process.stdout.write(`${JSON.stringify(out)}\n`);
  });
  await rt.db.stop();
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
