/**
 * A large catalog on its first day: the Online Retail products in colour and size variants up to `--items`
 * (default 100,000; titles like "lunch bag red retrospot red small"), each customer buying one variant of every
 * product they bought (their purchases as the file has them), loaded by `aisle import`, indexed by `aisle
 * reindex`, then served raw (no fine-tune yet: 512-d text vectors, the widest searches) once per `--ef-search`
 * value (INDEX_EF_SEARCH, default "200"). Each server is loaded after its list cache's first pass: `/health/live`,
 * `/similar` of random items and POST /v1/recommendations with 10 random items, 32 connections each.
 * Reports each step's wall time and peak RSS, and each route's req/s, share of live and latency.
 * `--finetune`: runs the nightly `aisle finetune` after the reindex (its time, peak RSS and gate are reported;
 * FINETUNE_* settings pass through) and serves what it activated: the projected vectors and tuned blends a
 * large shop serves from its second day.
 *
 * `--serve-only`: only the serving part, on the database the last run left (the fine-tuned one after `--finetune`).
 * `--swap`: after the routes, carts 4 at a time while `aisle copurchase:refresh` stores a new co-purchase
 * generation and the server loads and swaps it in (reports the carts' latency before and while it does: the
 * slowest cart is how long the server's event loop stood still).
 * `--similar-swap`: then `aisle copurchase:refresh` again with `/similar` of random items asked 4 at a time from
 * when the server serves the new generation, for SIMILAR_SWAP_WINDOWS windows of 10 s: per window the requests,
 * p50/p99 and the server's CPU per request (a refresh drops every held similar list; this shows how long until
 * they are held again).
 *
 * Usage: npm run build && node dist/bench/large-catalog.js [--items 100000] [--ef-search 600,200,100] [--finetune]
 *        [--serve-only] [--swap] [--similar-swap]
 * (BENCH_SECONDS per route, default 10; BENCH_PG_URL for another PostgreSQL; BENCH_PORT, default 3900)
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadOnlineRetail } from '../src/online-retail/online-retail.reader';
import { load, type LoadResult } from './lib/load';
import { treeRssMb } from './lib/process-rss';
import { Client } from 'pg';
import {
  databaseExists,
  dbUrl,
  ONLINE_RETAIL,
  processCpuMs,
  recreateDatabase,
  runCli,
  startServer,
} from './lib/server';

const DB = 'aisle_bench_large';

async function liveItems(url: string): Promise<string[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<{ id: string }>('SELECT id FROM items WHERE deleted_at IS NULL')).rows.map(
      (r) => r.id,
    );
  } finally {
    await c.end();
  }
}

const COLOURS = ['red', 'blue', 'green', 'ivory', 'black', 'pink', 'grey', 'gold', 'silver', 'natural'];
const SIZES = ['small', 'medium', 'large', 'mini', 'jumbo', 'set of 3', 'set of 6', 'xl', 'xxl', 'slim'];
const MAX_VARIANTS = COLOURS.length * SIZES.length;

const say = (msg: string) => process.stderr.write(`${msg}\n`);

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? '') : fallback;
}

/** Variant `v` of a product: its id and the words its title gains. */
const variantId = (code: string, v: number) => `${code}:v${v}`;
const variantWords = (v: number) => `${COLOURS[v % COLOURS.length]} ${SIZES[Math.floor(v / COLOURS.length)]}`;

/** The variant a customer buys of every product: fixed per customer, so their baskets keep their structure. */
function variantOf(userId: string, variants: number): number {
  return createHash('sha256').update(userId).digest().readUInt32BE(0) % variants;
}

async function writeCatalog(dir: string, want: number): Promise<{ items: string[]; events: number }> {
  const data = await loadOnlineRetail(ONLINE_RETAIL);
  const variants = Math.ceil(want / data.items.length);
  if (variants > MAX_VARIANTS)
    throw new Error(`--items takes at most ${MAX_VARIANTS * data.items.length} (${MAX_VARIANTS} variants)`);
  const out = fs.createWriteStream(path.join(dir, 'items.ndjson'));
  const write = (s: fs.WriteStream, line: string) =>
    s.write(line) ? Promise.resolve() : new Promise<void>((r) => s.once('drain', () => r()));
  const ids: string[] = [];
  // Variant by variant, so that a cut at `want` leaves every product with the same variants or one fewer.
  for (let v = 0; v < variants && ids.length < want; v++)
    for (const it of data.items) {
      if (ids.length >= want) break;
      const id = variantId(it.id, v);
      ids.push(id);
      await write(
        out,
        `${JSON.stringify({ id, title: `${it.title} ${variantWords(v)}`.toLowerCase(), price: it.price })}\n`,
      );
    }
  await new Promise((r) => out.end(r));
  const exists = new Set(ids);
  const events = fs.createWriteStream(path.join(dir, 'events.ndjson'));
  let n = 0;
  for (const p of data.purchases) {
    const v = variantOf(p.userId, variants);
    const itemId = exists.has(variantId(p.itemId, v)) ? variantId(p.itemId, v) : variantId(p.itemId, 0);
    if (!exists.has(itemId)) continue;
    n += 1;
    await write(
      events,
      `${JSON.stringify({
        userId: p.userId,
        itemId,
        type: 'purchase',
        value: p.quantity,
        timestamp: p.timestamp.toISOString(),
        eventId: p.eventId,
      })}\n`,
    );
  }
  await new Promise((r) => events.end(r));
  return { items: ids, events: n };
}

/** Runs the CLI, sampling its process tree's RSS each second. */
async function measured(
  args: string[],
  env: Record<string, string>,
): Promise<{ seconds: number; peakRssMb: number; stdout: string }> {
  let peak = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    const done = await runCli(args, env, (child) => {
      timer = setInterval(() => (peak = Math.max(peak, child.pid ? (treeRssMb(child.pid) ?? 0) : 0)), 1000);
    });
    return { seconds: Math.round(done.seconds), peakRssMb: Math.round(peak), stdout: done.stdout };
  } finally {
    clearInterval(timer);
  }
}

/** Waits for the server's list cache to finish its first pass (it competes with the load otherwise). */
async function warmed(url: string): Promise<number> {
  const t0 = Date.now();
  let failure: unknown;
  for (;;) {
    try {
      const stats = (await (await fetch(`${url}/v1/admin/stats`)).json()) as {
        listCache?: { warming: boolean; lastPassAt: string | null };
      };
      if (stats.listCache && !stats.listCache.warming && stats.listCache.lastPassAt) break;
    } catch (e) {
      // One failed poll is not a failed run: the next one asks again (the last failure is reported below).
      failure = e;
      say(`stats poll failed: ${String((e as Error).cause ?? e)}`);
    }
    if (Date.now() - t0 > 600_000)
      throw new Error(
        `the list cache did not finish its first pass in 10 min (last failure: ${String(failure)})`,
      );
    await new Promise((r) => setTimeout(r, 2000));
  }
  return Math.round((Date.now() - t0) / 1000);
}

/** The co-purchase generation a server serves (GET /v1/admin/stats). */
async function servedGeneration(url: string): Promise<string | null> {
  const stats = (await (await fetch(`${url}/v1/admin/stats`)).json()) as {
    copurchase: { generation: string | null };
  };
  return stats.copurchase.generation;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]) : 0;

/**
 * Random 10-item carts, 4 at a time: 20 s as they are, then while `aisle copurchase:refresh` computes and
 * stores a new generation, until the server has swapped it in and 10 s more. Each phase's latency, slowest
 * cart first.
 */
async function cartsDuringSwap(
  url: string,
  env: Record<string, string>,
  pick: () => string,
): Promise<Record<string, unknown>> {
  let phase: 'before' | 'swap' = 'before';
  const lat = { before: [] as number[], swap: [] as number[] };
  let failed = 0;
  let stop = false;
  const loop = async () => {
    while (!stop) {
      const body = JSON.stringify({ itemIds: Array.from({ length: 10 }, pick) });
      const at = phase;
      const t0 = performance.now();
      const r = await fetch(`${url}/v1/recommendations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await r.arrayBuffer();
      if (!r.ok) failed += 1;
      lat[at].push(performance.now() - t0);
    }
  };
  const loops = Array.from({ length: 4 }, loop);
  try {
    await new Promise((r) => setTimeout(r, 20_000));
    const was = await servedGeneration(url);
    phase = 'swap';
    const t0 = Date.now();
    say('aisle copurchase:refresh while carts are asked…');
    await runCli(['copurchase:refresh', '--json'], env);
    const stored = Date.now();
    while ((await servedGeneration(url)) === was) {
      if (Date.now() - stored > 300_000)
        throw new Error('the server did not load the new generation in 300 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    const swapped = Date.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const stats = (xs: number[]) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return {
        carts: xs.length,
        p50ms: percentile(sorted, 0.5),
        p99ms: percentile(sorted, 0.99),
        slowestMs: Math.round(sorted.at(-1) ?? 0),
        over1s: xs.filter((x) => x > 1000).length,
      };
    };
    return {
      refreshSeconds: Math.round((stored - t0) / 1000),
      loadedAfterStoreSeconds: Math.round((swapped - stored) / 100) / 10,
      before: stats(lat.before),
      duringSwap: stats(lat.swap),
      non2xx: failed,
    };
  } finally {
    stop = true;
    await Promise.all(loops);
  }
}

/** 10 s windows `--similar-swap` reports after the new generation is served, and its requests in flight. */
const SIMILAR_SWAP_WINDOWS = 12;
const SIMILAR_SWAP_CONNECTIONS = 4;

/**
 * `/similar` of random items, SIMILAR_SWAP_CONNECTIONS at a time, over the windows after a co-purchase refresh is served: what a product
 * page costs while the similar lists held for the old generation are being replaced.
 */
async function similarAfterSwap(
  url: string,
  env: Record<string, string>,
  pick: () => string,
  pid: number,
): Promise<Record<string, unknown>> {
  const was = await servedGeneration(url);
  const t0 = Date.now();
  say('aisle copurchase:refresh, then /similar while the held lists are replaced…');
  await runCli(['copurchase:refresh', '--json'], env);
  const stored = Date.now();
  while ((await servedGeneration(url)) === was) {
    if (Date.now() - stored > 300_000) throw new Error('the server did not load the new generation in 300 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  const swapped = Date.now();
  const windows: Array<Record<string, number>> = [];
  for (let w = 0; w < SIMILAR_SWAP_WINDOWS; w++) {
    const lat: number[] = [];
    const cpu0 = processCpuMs(pid) ?? 0;
    const end = Date.now() + 10_000;
    const loop = async () => {
      while (Date.now() < end) {
        const q0 = performance.now();
        const r = await fetch(`${url}/v1/items/${encodeURIComponent(pick())}/similar`);
        await r.arrayBuffer();
        if (!r.ok) throw new Error(`/similar answered ${r.status}`);
        lat.push(performance.now() - q0);
      }
    };
    await Promise.all(Array.from({ length: SIMILAR_SWAP_CONNECTIONS }, loop));
    const sorted = lat.sort((a, b) => a - b);
    windows.push({
      fromSeconds: Math.round((Date.now() - swapped) / 1000) - 10,
      requests: lat.length,
      p50ms: percentile(sorted, 0.5),
      p99ms: percentile(sorted, 0.99),
      serverCpuMsPerRequest: Math.round((1000 * ((processCpuMs(pid) ?? 0) - cpu0)) / lat.length) / 1000,
    });
    say(JSON.stringify(windows[windows.length - 1]));
  }
  return {
    refreshSeconds: Math.round((stored - t0) / 1000),
    loadedAfterStoreSeconds: Math.round((swapped - stored) / 100) / 10,
    windows,
  };
}

function summary(r: LoadResult, live?: number) {
  return {
    requestsPerSec: Math.round(r.requestsPerSec),
    ...(live ? { shareOfLive: Math.round((1000 * r.requestsPerSec) / live) / 10 } : {}),
    p50ms: r.p50ms,
    p99ms: r.p99ms,
    non2xx: r.non2xx + r.errors,
    serverCpuMsPerRequest: r.serverCpuMsPerRequest,
  };
}

async function main(): Promise<void> {
  const want = Number(option('--items', '100000'));
  if (!Number.isInteger(want) || want < 1) throw new Error('--items takes a whole number of items');
  const efs = option('--ef-search', '200').split(',').map(Number);
  if (efs.some((ef) => !Number.isInteger(ef) || ef < 10))
    throw new Error('--ef-search takes whole numbers ≥ 10');
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-large-catalog-'));
  try {
    const serveOnly = process.argv.includes('--serve-only');
    let steps: Record<string, unknown> = {};
    let items: string[];
    const env = { DATABASE_URL: dbUrl(DB), DATA_DIR: path.join(dir, 'data') };
    if (serveOnly) {
      if (!(await databaseExists(DB))) throw new Error(`--serve-only serves ${DB}: run without it first`);
      items = await liveItems(env.DATABASE_URL);
      say(
        `--serve-only: ${items.length} items of ${DB} as the last run left them (its index is built at start)`,
      );
    } else {
      say(`writing ${want} variant items and their purchases into ${dir}…`);
      const catalog = await writeCatalog(dir, want);
      items = catalog.items;
      await recreateDatabase(DB);
      say(`${catalog.items.length} items, ${catalog.events} purchases; aisle import…`);
      const imported = await measured(
        [
          'import',
          '--items',
          path.join(dir, 'items.ndjson'),
          '--events',
          path.join(dir, 'events.ndjson'),
          '--json',
        ],
        env,
      );
      say(`imported in ${imported.seconds} s; aisle reindex…`);
      const reindex = await measured(['reindex', '--json'], env);
      steps = {
        purchases: catalog.events,
        import: { seconds: imported.seconds, peakRssMb: imported.peakRssMb },
        reindex: { seconds: reindex.seconds, peakRssMb: reindex.peakRssMb },
      };
      if (process.argv.includes('--finetune')) {
        say(`reindexed in ${reindex.seconds} s; aisle finetune…`);
        const { stdout, ...run } = await measured(['finetune', '--json'], env);
        steps.finetune = {
          ...run,
          summary: JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as unknown,
        };
        say(JSON.stringify(steps.finetune));
      }
    }
    const pick = () => items[Math.floor(Math.random() * items.length)];
    const served: Array<Record<string, unknown>> = [];
    for (const ef of efs) {
      say(`aisle serve with INDEX_EF_SEARCH=${ef}…`);
      const server = await startServer({ ...env, INDEX_EF_SEARCH: String(ef) });
      try {
        const pid = server.child.pid!;
        const warmSeconds = await warmed(server.url);
        const run = (name: string, o: Partial<Parameters<typeof load>[0]>) =>
          load({ name, url: server.url, seconds, serverPid: pid, ...o });
        const live = await run('live', { next: () => ({ path: '/health/live' }) });
        const similar = await run('similar', {
          next: () => ({ path: `/v1/items/${encodeURIComponent(pick())}/similar` }),
        });
        const carts = await run('carts', {
          method: 'POST',
          next: () => ({
            path: '/v1/recommendations',
            body: JSON.stringify({ itemIds: Array.from({ length: 10 }, pick) }),
          }),
        });
        const swap = process.argv.includes('--swap')
          ? await cartsDuringSwap(server.url, env, pick)
          : undefined;
        const similarSwap = process.argv.includes('--similar-swap')
          ? await similarAfterSwap(server.url, env, pick, pid)
          : undefined;
        served.push({
          efSearch: ef,
          warmSeconds,
          rssMb: Math.round(treeRssMb(pid) ?? 0),
          live: summary(live),
          similar: summary(similar, live.requestsPerSec),
          carts: summary(carts, live.requestsPerSec),
          ...(swap ? { swap } : {}),
          ...(similarSwap ? { similarSwap } : {}),
        });
        say(JSON.stringify(served[served.length - 1]));
      } finally {
        await server.stop();
      }
    }
    process.stdout.write(
      `${JSON.stringify({
        bench: 'large-catalog',
        items: items.length,
        ...steps,
        served,
      })}\n`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  say(String(e instanceof Error ? e.stack : e));
  process.exit(1);
});
