/**
 * CPU cost of one session (cart) list, in-process (no HTTP): POST /v1/recommendations with 10 items minus the
 * framework, over real carts of the full Online Retail data (each purchasing user's last 10 distinct items; the
 * database aisle_bench_api is made by api-load.ts). Reports CPU time per list (process.cpuUsage, steadier than
 * wall time on a shared machine), wall-time percentiles and a digest of the lists served, after 200 lists for
 * the JIT.
 * Usage: npm run build && node dist/bench/session-cpu.js [--sessions 2000] [--rounds 1] [--finetuned] (the fine-tune's
 *        vectors and blends: lib/bench-data.ts) [--thread-state [--against <dist dir>]]. With --rounds n the pass
 *        runs n times and the cheapest is reported. --thread-state times only the gathering, as the session thread
 *        does it (its own copy of the index, signals and rule fields, and packing the set), in this process: the
 *        digest is then of the packed sets.
 *        --against <dir> (with --thread-state): a second build's gathering (another checkout's `dist`, e.g. one
 *        built from the last commit), fed the same messages, timed in turns with this build's, a pass each, so
 *        that both see the same moments of a shared machine (whose speed drifts by a third within seconds). It
 *        reports each build's passes, the ratio of every pair and both digests.
 */
import { createHash } from 'crypto';
import * as path from 'path';
import { DataSource } from 'typeorm';
import { CatalogSnapshot } from '../src/catalog/catalog-snapshot';
import { APP_CONFIG, type AppConfig } from '../src/config/app-config';
import { sessionQuery } from '../src/ranking/session-ranking';
import { ServingModel } from '../src/serving-model/serving-model';
import { packGathered } from '../src/session-thread/packed-set';
import type { GatherRequest } from '../src/session-thread/session-thread.protocol';
import { SessionThreadState } from '../src/session-thread/thread-state';
import { INDEX_ROOT } from '../src/vector-index/index-holder';
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
    const gatherer = (build: ThreadBuild) =>
      threadStateGatherer(
        build,
        ctx.get(CatalogSnapshot),
        ctx.get(PurchaseSignalsService),
        index,
        ctx.get(ServingModel),
        ctx.get<AppConfig>(APP_CONFIG).dataDir,
      );
    const onThreadState = process.argv.includes('--thread-state')
      ? await gatherer({ SessionThreadState, packGathered })
      : undefined;
    const againstDir = process.argv.includes('--against')
      ? process.argv[process.argv.indexOf('--against') + 1]
      : undefined;
    if (againstDir !== undefined) {
      if (!onThreadState) throw new Error('--against compares gatherings: give --thread-state too');
      const other = await gatherer(loadThreadBuild(againstDir));
      compareBuilds(
        onThreadState,
        other,
        rows.slice(0, limit).map((r) => r.ids),
        process.argv.includes('--rounds') ? Number(process.argv[process.argv.indexOf('--rounds') + 1]) : 10,
        data.label,
      );
      return;
    }
    const opts = {
      limit: 10,
      inStockOnly: true,
      exclude: [],
      includeItems: false,
      explain: false,
      diversity: 0,
    };
    for (const r of rows.slice(limit))
      if (onThreadState) onThreadState(r.ids);
      else await recs.session(r.ids, undefined, opts);
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
        if (onThreadState) {
          const packed = onThreadState(s);
          roundTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
          digest.update(packed.ids);
          digest.update(new Uint8Array(packed.buffer));
          continue;
        }
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

/**
 * Gathers a session's candidates as the session thread does: from a SessionThreadState given the catalog's rule
 * fields, the signals and the served index, asked what session-lists.ts asks it (in stock, the session excluded,
 * the served blend's cosFlat) and packed for the reply.
 */
async function threadStateGatherer(
  build: ThreadBuild,
  snapshot: CatalogSnapshot,
  signals: PurchaseSignalsService,
  index: IndexService,
  serving: ServingModel,
  dataDir: string,
): Promise<(session: string[]) => ReturnType<typeof packGathered>> {
  const state = new build.SessionThreadState();
  state.applyItems(true, [...snapshot.entries()]);
  // As the session thread receives them (SessionThread.sendSignals): each build makes its own signals.
  const p = signals.current().parts();
  state.applySignals({
    counts: p.counts,
    asOf: p.asOf.getTime(),
    lists: p.lists.toWire(),
    transitions: p.transitions.toWire(),
  });
  const name = index.currentName()!;
  await state.loadIndex(name, path.join(dataDir, INDEX_ROOT, name));
  const vectorOf = index.vectorLookup();
  const blend = serving.current().sessionBlend;
  const cosFlat = blend.cosFlat !== 0;
  return (session) => {
    const known = session.filter((id) => snapshot.get(id));
    const request: GatherRequest = {
      indexName: name,
      session: known,
      // A build that makes the query on the thread (queryOfSession) makes its own; an older one reads this.
      query: sessionQuery(known.flatMap((id) => vectorOf(id) ?? [])),
      queryOfSession: known.every((id) => vectorOf(id) !== undefined),
      rules: { inStockOnly: true },
      excluded: [...new Set(session)],
      cosFlat,
      // As serving asks (an older build ignores it).
      selectBy: blend,
    };
    return build.packGathered(state.gather(request), known);
  };
}

/** What --thread-state runs of a build: its thread state and its packing. */
interface ThreadBuild {
  SessionThreadState: new () => SessionThreadState;
  packGathered: typeof packGathered;
}

/** Another build's thread state and packing, from its compiled tree (`<dir>/src/session-thread/`). */
function loadThreadBuild(dir: string): ThreadBuild {
  const root = path.resolve(dir, 'src', 'session-thread');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const state = require(path.join(root, 'thread-state.js')) as Pick<ThreadBuild, 'SessionThreadState'>;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const packed = require(path.join(root, 'packed-set.js')) as Pick<ThreadBuild, 'packGathered'>;
  return { SessionThreadState: state.SessionThreadState, packGathered: packed.packGathered };
}

/**
 * Times this build's gathering (`mine`) and another's (`theirs`) over the same sessions in turns, `rounds` passes
 * each, and prints every pass, the ratio of theirs to mine in each turn and each build's digest of the packed sets.
 */
function compareBuilds(
  mine: (s: string[]) => ReturnType<typeof packGathered>,
  theirs: (s: string[]) => ReturnType<typeof packGathered>,
  sessions: string[][],
  rounds: number,
  label: string,
): void {
  const pass = (gather: (s: string[]) => ReturnType<typeof packGathered>) => {
    const digest = createHash('sha256');
    const cpu = process.cpuUsage();
    for (const s of sessions) {
      const packed = gather(s);
      digest.update(packed.ids);
      digest.update(new Uint8Array(packed.buffer));
    }
    const used = process.cpuUsage(cpu);
    return {
      ms: (used.user + used.system) / 1000 / sessions.length,
      lists: digest.digest('hex').slice(0, 16),
    };
  };
  // A whole untimed pass of each first: the JIT settles on both builds' code before any pass counts.
  pass(mine);
  pass(theirs);
  const a: number[] = [];
  const b: number[] = [];
  let digests = { mine: '', theirs: '' };
  for (let round = 0; round < rounds; round++) {
    // Which build goes first alternates, so neither always runs right after the other's garbage.
    let x: ReturnType<typeof pass>;
    let y: ReturnType<typeof pass>;
    if (round % 2 === 0) {
      x = pass(mine);
      y = pass(theirs);
    } else {
      y = pass(theirs);
      x = pass(mine);
    }
    a.push(x.ms);
    b.push(y.ms);
    digests = { mine: x.lists, theirs: y.lists };
  }
  const ratios = a.map((ms, i) => b[i] / ms).sort((p, q) => p - q);
  const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
  const out = {
    bench: 'session-cpu',
    vectors: label,
    sessions: sessions.length,
    mineCpuMsPerList: a.map((x) => +x.toFixed(3)),
    theirsCpuMsPerList: b.map((x) => +x.toFixed(3)),
    // Above 1: the other build is slower than this one.
    theirsOverMine: {
      median: +median(ratios).toFixed(3),
      min: +ratios[0].toFixed(3),
      max: +ratios[ratios.length - 1].toFixed(3),
    },
    lists: digests,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
