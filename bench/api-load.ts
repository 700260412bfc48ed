/**
 * HTTP load on a running `aisle serve` over the full Online Retail data (imported once into aisle_bench_api):
 * /health/live as the ceiling, GET /v1/items/:id, POST /v1/events in batches of 500, 10-item sessions (real
 * carts: a purchasing user's last 10 distinct items) through POST /v1/recommendations, and whatever
 * recommendation routes exist. 32 connections, 10 s each unless BENCH_SECONDS says otherwise, after 2 s of
 * the same load that is not counted (BENCH_WARMUP_SECONDS) and once the started server has gone idle.
 * `session` draws from a pool of 2,000 real carts, so most are asked again and answered from held candidate
 * sets (RECS_SESSION_CACHE_MAX_BYTES); `session-unique` asks only carts never asked before; `session-repeat` asks
 * a pool of such carts (`--cart-pool n`, default 9,000) a few times each, as a shop's pages ask a cart again.
 * `--finetuned`: on a copy of that database after the nightly fine-tune (its 128-d projected vectors and tuned
 * blends, what a shop serves from its second day; made once, see lib/bench-data.ts).
 * `--paired`: a /health/live run right before each route, each route's share of live taken against it.
 * Usage: npm run build && node dist/bench/api-load.js [--only items,events] [--finetuned] [--fresh] [--paired]
 *        [--cart-pool n]
 */
import { finetunedBenchData, rawBenchData, RAW_DB, wantsFinetuned } from './lib/bench-data';
import { load, printResult, warmupSeconds, type LoadResult } from './lib/load';
import { waitUntilIdle } from './lib/process-rss';
import {
  adminUrl,
  databaseExists,
  dbUrl,
  ONLINE_RETAIL,
  peakRssMb,
  recreateDatabase,
  runCli,
  startServer,
} from './lib/server';
import { Client } from 'pg';

const DB = RAW_DB;

async function itemAndUserIds(
  url: string,
): Promise<{ items: string[]; users: string[]; sessions: string[][]; histories: string[][] }> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const items = (await c.query<{ id: string }>('SELECT id FROM items WHERE deleted_at IS NULL')).rows.map(
      (r) => r.id,
    );
    const users = (
      await c.query<{ user_id: string }>("SELECT DISTINCT user_id FROM events WHERE type = 'purchase'")
    ).rows.map((r) => r.user_id);
    // Carts as shoppers build them: each purchasing user's last 10 distinct items, oldest first.
    const sessions = (
      await c.query<{ ids: string[] }>(
        `SELECT (array_agg(item_id ORDER BY last_at))[1:10] AS ids
           FROM (SELECT user_id, item_id, max(occurred_at) AS last_at FROM events
                  WHERE type = 'purchase' GROUP BY user_id, item_id) d
          GROUP BY user_id HAVING count(*) >= 10 LIMIT 2000`,
      )
    ).rows.map((r) => r.ids);
    // Every purchasing user's distinct items in the order last bought, for carts never asked before.
    const histories = (
      await c.query<{ ids: string[] }>(
        `SELECT array_agg(item_id ORDER BY last_at) AS ids
           FROM (SELECT user_id, item_id, max(occurred_at) AS last_at FROM events
                  WHERE type = 'purchase' GROUP BY user_id, item_id) d
          GROUP BY user_id HAVING count(*) >= 15`,
      )
    ).rows.map((r) => r.ids);
    return { items, users, sessions, histories };
  } finally {
    await c.end();
  }
}

/** Whether the co-purchase job has run on this database (a server would otherwise run it during the load). */
async function hasCopurchase(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query('SELECT 1 FROM item_neighbours LIMIT 1')).rowCount === 1;
  } catch {
    return false; // not migrated yet: the command below migrates first
  } finally {
    await c.end();
  }
}

/** The value after `flag` on the command line, undefined when the flag is not given. */
function flagValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const only = process.argv.includes('--only')
    ? process.argv[process.argv.indexOf('--only') + 1]?.split(',')
    : undefined;
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  let url = dbUrl(DB);
  if (!(await databaseExists(DB)) || process.argv.includes('--fresh')) {
    url = await recreateDatabase(DB);
    process.stdout.write('importing the full Online Retail file once…\n');
    await runCli(['import', '--online-retail', ONLINE_RETAIL, '--json'], { DATABASE_URL: url });
  }
  if (!(await hasCopurchase(url))) {
    process.stdout.write('computing co-purchase neighbours once…\n');
    await runCli(['copurchase:refresh', '--json'], { DATABASE_URL: url });
  }
  const data = wantsFinetuned()
    ? await finetunedBenchData(adminUrl(), process.argv.includes('--fresh'))
    : rawBenchData();
  process.stdout.write(`vectors: ${data.label} (${data.db})\n`);
  const { items, users, sessions, histories } = await itemAndUserIds(data.url);
  // BENCH_SERVER_LOG: a file the server's log and stdout are appended to (e.g. what `--trace-gc` prints).
  const server = await startServer(
    {
      ...data.env,
      ...(process.env.BENCH_ENV ? (JSON.parse(process.env.BENCH_ENV) as Record<string, string>) : {}),
    },
    undefined,
    process.env.BENCH_SERVER_LOG,
  );
  // The list cache warms the most recently active users' lists between requests after start-up; measuring while
  // that runs would charge its CPU to whichever route happens to be under load.
  for (let i = 0; i < 600; i++) {
    const stats = (await (await fetch(`${server.url}/v1/admin/stats`)).json()) as {
      listCache: { warming: boolean; lastPassAt: string | null; warmed: number; users: number } | null;
    };
    if (!stats.listCache || (!stats.listCache.warming && stats.listCache.lastPassAt)) {
      process.stdout.write(`list cache: ${JSON.stringify(stats.listCache)}\n`);
      break;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  const idle = await waitUntilIdle(server.child.pid!);
  process.stdout.write(`server idle after ${idle.toFixed(0)} s\n`);
  const pick = <T>(a: T[]): T => a[Math.floor(Math.random() * a.length)];
  const results: LoadResult[] = [];
  const want = (n: string) => !only || only.includes(n);
  const live = () =>
    load({
      name: 'GET /health/live',
      url: `${server.url}/health/live`,
      seconds,
      serverPid: server.child.pid,
    });
  // Each route's share of /health/live: against the live run just before it with --paired (a shared machine's
  // speed drifts over a whole run by more than the bars' margins), else against the one live run.
  const paired = process.argv.includes('--paired');
  let lastLive: LoadResult | undefined;
  const measure = async (o: Parameters<typeof load>[0]): Promise<LoadResult> => {
    if (paired && want('live')) lastLive = await live();
    const r = await load(o);
    return lastLive ? { ...r, liveRequestsPerSec: lastLive.requestsPerSec } : r;
  };
  try {
    if (want('live')) {
      lastLive = await live();
      results.push(lastLive);
    }
    if (want('items')) {
      results.push(
        await measure({
          serverPid: server.child.pid,
          name: 'GET /v1/items/:id',
          url: server.url,
          seconds,
          next: () => ({ path: `/v1/items/${encodeURIComponent(pick(items))}` }),
        }),
      );
    }
    if (want('events')) {
      let seq = 0;
      const batch = () =>
        JSON.stringify({
          events: Array.from({ length: 500 }, () => ({
            userId: `bench-${Math.floor(Math.random() * 5000)}`,
            itemId: pick(items),
            type: 'view',
            eventId: `bench-${process.pid}-${seq++}`,
          })),
        });
      const r = await measure({
        serverPid: server.child.pid,
        name: 'POST /v1/events (500/batch)',
        url: server.url,
        method: 'POST',
        seconds,
        connections: 8,
        next: () => ({ path: '/v1/events', body: batch() }),
      });
      results.push(r);
      process.stdout.write(`events/s sustained: ${(r.requestsPerSec * 500).toFixed(0)}\n`);
    }
    if (want('similar')) {
      results.push(
        await measure({
          serverPid: server.child.pid,
          name: 'GET /v1/items/:id/similar',
          url: server.url,
          seconds,
          next: () => ({ path: `/v1/items/${encodeURIComponent(pick(items))}/similar` }),
        }),
      );
    }
    if (want('session')) {
      results.push(
        await measure({
          serverPid: server.child.pid,
          name: 'POST /v1/recommendations (10-item session)',
          url: server.url,
          method: 'POST',
          seconds,
          next: () => ({ path: '/v1/recommendations', body: JSON.stringify({ itemIds: pick(sessions) }) }),
        }),
      );
    }
    // Carts no request asked before (10 of a buyer's items, in the order bought, drawn afresh until unseen).
    // `session-unique` asks each once: what a list costs when no held candidate set can answer it
    // (RECS_SESSION_CACHE_MAX_BYTES). `session-repeat` asks a pool of them.
    const asked = new Set<string>();
    const unseenCart = (): string[] => {
      for (;;) {
        const h = pick(histories);
        const cart = h.filter(() => Math.random() < 10 / h.length).slice(0, 10);
        const key = cart.join('\u0001');
        if (cart.length === 10 && !asked.has(key)) {
          asked.add(key);
          return cart;
        }
      }
    };
    if (want('session-unique')) {
      // Drawn before the runs, enough for 8,000 a second: drawing a cart afresh (re-drawn until unseen) took the
      // load generator ~0.02 ms per request of the cores the server shares with it. Past those, drawn on the spot.
      const drawn = Array.from({ length: 8000 * (seconds + warmupSeconds()) }, () =>
        JSON.stringify({ itemIds: unseenCart() }),
      );
      let next = 0;
      const nextUnseen = () => ({
        path: '/v1/recommendations',
        body: next < drawn.length ? drawn[next++] : JSON.stringify({ itemIds: unseenCart() }),
      });
      results.push(
        await measure({
          serverPid: server.child.pid,
          name: 'POST /v1/recommendations (10-item session, unseen carts)',
          url: server.url,
          method: 'POST',
          seconds,
          next: nextUnseen,
        }),
      );
    }
    if (want('session-repeat')) {
      // A shop's carts are asked again on each page until they change: a pool of carts never asked before
      // (--cart-pool, default 9,000), each request one of them at random, so each is asked a few times (the count
      // is printed). A cart's set is held from its second ask: this is the mix of gatherings and held answers.
      const size = Number(flagValue('--cart-pool') ?? 9000);
      if (!Number.isInteger(size) || size < 1) throw new Error('--cart-pool must be a whole number of carts');
      const pool = Array.from({ length: size }, () => JSON.stringify({ itemIds: unseenCart() }));
      let asks = 0;
      results.push(
        await measure({
          serverPid: server.child.pid,
          name: `POST /v1/recommendations (10-item session, ${size} carts)`,
          url: server.url,
          method: 'POST',
          seconds,
          next: () => {
            asks += 1;
            return { path: '/v1/recommendations', body: pick(pool) };
          },
        }),
      );
      process.stdout.write(
        `session-repeat: ${asks} asks (warm-up included) over ${size} carts, ${(asks / size).toFixed(1)} per cart\n`,
      );
    }
    if (want('session-floor')) {
      // The same route with ten ids the catalog does not hold: parsing, validation, the list steps, recording
      // and the answer, without gathering — the floor a session list's own work adds to.
      results.push(
        await measure({
          serverPid: server.child.pid,
          name: 'POST /v1/recommendations (10 unknown ids)',
          url: server.url,
          method: 'POST',
          seconds,
          next: () => ({
            path: '/v1/recommendations',
            body: JSON.stringify({ itemIds: Array.from({ length: 10 }, (_, i) => `no-such-item-${i}`) }),
          }),
        }),
      );
    }
    if (want('similar-reindex')) {
      // /similar while a full reindex (re-embed everything, rebuild, swap) runs in the same server.
      const job = (await (
        await fetch(`${server.url}/v1/admin/reindex`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"full":true}',
        })
      ).json()) as { jobId: string };
      results.push(
        await measure({
          serverPid: server.child.pid,
          name: 'GET /v1/items/:id/similar (reindex)',
          url: server.url,
          seconds,
          next: () => ({ path: `/v1/items/${encodeURIComponent(pick(items))}/similar` }),
        }),
      );
      const status = (await (await fetch(`${server.url}/v1/admin/jobs/${job.jobId}`)).json()) as {
        status: string;
        progress: unknown;
      };
      process.stdout.write(`reindex job during that load: ${JSON.stringify(status)}\n`);
    }
    if (want('recs')) {
      results.push(
        await measure({
          serverPid: server.child.pid,
          name: 'GET /v1/users/:id/recommendations',
          url: server.url,
          seconds,
          next: () => ({ path: `/v1/users/${pick(users)}/recommendations` }),
        }),
      );
    }
    for (const r of results) printResult(r);
    // Where the session lists were gathered (SESSION_THREAD): on the server's session thread or in-process.
    const after = (await (await fetch(`${server.url}/v1/admin/stats`)).json()) as {
      sessionThread?: unknown;
      sessionCache?: unknown;
    };
    process.stdout.write(`session thread: ${JSON.stringify(after.sessionThread ?? null)}\n`);
    process.stdout.write(`session sets held: ${JSON.stringify(after.sessionCache ?? null)}\n`);
    process.stdout.write(
      `${JSON.stringify({ bench: 'api-load', vectors: data.label, results, serverPeakRssMb: peakRssMb(server.child.pid!) })}\n`,
    );
  } finally {
    await server.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
