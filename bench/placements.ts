/**
 * The cost of merchandising rules: GET /v1/placements/:id/recommendations for a `for-you` placement with 20
 * active rules (boosts, buries, filters, promotions, pins) against the same placement without rules, over the
 * full Online Retail data, 32 connections, random purchasing users; once with the list cache on (the default)
 * and once with RECS_CACHE_TTL_MS=0. The bar: with rules ≤ 1.3× the cost (≥ 1/1.3 of the throughput) and
 * p99 ≤ 50 ms with the cache on. Both placements are measured once the list warmer has passed over the
 * recently active users after the PUTs (it warms the engine's default list, which the plain placement
 * shares, and each for-you placement's list under its rules).
 * Usage: npm run build && BENCH_SECONDS=10 node dist/bench/placements.js (BENCH_PORT: the server's port, 3900)
 */
import * as fs from 'node:fs';
import { Client } from 'pg';
import { load, printResult, type LoadResult } from './lib/load';
import {
  adminUrl,
  databaseExists,
  dbUrl,
  ONLINE_RETAIL,
  recreateDatabase,
  runCli,
  startServer,
  type RunningServer,
} from './lib/server';

const DB = 'aisle_bench_placements';
const CLOCK_TICKS = 100;

/** The server process's CPU seconds so far: a cost per request that a loaded machine does not distort. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

async function query<T extends Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

/** 20 rules, all in force for a for-you list, each touching part of the catalog. */
function twentyRules(items: Array<{ id: string; price: number | null }>): unknown[] {
  const from = '2020-01-01T00:00:00Z';
  const until = '2999-01-01T00:00:00Z';
  const ids = (k: number, n: number) => items.slice(k * 50, k * 50 + n).map((i) => i.id);
  return [
    ...Array.from({ length: 6 }, (_, k) => ({
      action: 'boost',
      weight: 1.5 + k / 10,
      match: { price: { $gte: k, $lt: k + 1 } },
      from,
      until,
    })),
    ...Array.from({ length: 4 }, (_, k) => ({
      action: 'bury',
      weight: 0.5,
      match: { $or: [{ id: { $in: ids(k, 40) } }, { price: { $gt: 20 + k * 10 } }] },
    })),
    ...Array.from({ length: 4 }, (_, k) => ({
      action: 'filter',
      match: { id: { $in: ids(10 + k, 20) } },
      until,
    })),
    ...Array.from({ length: 3 }, (_, k) => ({
      action: 'promote',
      share: 0.1,
      match: { price: { $gte: 2 + k, $lt: 2.5 + k } },
    })),
    ...Array.from({ length: 3 }, (_, k) => ({ action: 'pin', itemIds: [items[k].id], position: 1 + k * 3 })),
  ];
}

async function put(server: RunningServer, id: string, body: unknown): Promise<void> {
  const r = await fetch(`${server.url}/v1/admin/placements/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (r.status !== 200) throw new Error(`PUT ${id}: ${r.status} ${await r.text()}`);
}

/** Until a warmer pass that began after `since` (the PUTs, which make it pass again) has ended. */
async function waitForWarmer(server: RunningServer, since: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const stats = (await (await fetch(`${server.url}/v1/admin/stats`)).json()) as {
      listCache: { warming: boolean; pending?: boolean; lastPassAt: string | null } | null;
    };
    const c = stats.listCache;
    if (!c || (!c.warming && !c.pending && c.lastPassAt && Date.parse(c.lastPassAt) > since)) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function main(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  let url = dbUrl(DB);
  if (!(await databaseExists(DB)) || process.argv.includes('--fresh')) {
    url = await recreateDatabase(DB);
    process.stdout.write('importing the full Online Retail file once…\n');
    await runCli(['import', '--online-retail', ONLINE_RETAIL, '--json'], { DATABASE_URL: url });
    await runCli(['copurchase:refresh', '--json'], { DATABASE_URL: url });
  }
  process.stdout.write(`database ${DB} on ${adminUrl().replace(/:[^:@/]*@/, ':***@')}\n`);
  const users = (
    await query<{ user_id: string }>(url, "SELECT DISTINCT user_id FROM events WHERE type = 'purchase'")
  ).map((r) => r.user_id);
  const items = await query<{ id: string; price: number | null }>(
    url,
    'SELECT id, price FROM items WHERE deleted_at IS NULL ORDER BY id',
  );
  const rules = twentyRules(items);
  const pick = <T>(a: T[]): T => a[Math.floor(Math.random() * a.length)];

  const results: Array<LoadResult & { cache: string; rules: number; cpuMsPerRequest: number }> = [];
  for (const cache of ['on', 'off'] as const) {
    const server = await startServer(
      cache === 'off' ? { DATABASE_URL: url, RECS_CACHE_TTL_MS: '0' } : { DATABASE_URL: url },
      Number(process.env.BENCH_PORT ?? 3900),
    );
    try {
      const since = Date.now();
      await put(server, 'bench-plain', { kind: 'for-you', limit: 10 });
      await put(server, 'bench-rules', { kind: 'for-you', limit: 10, rules });
      await waitForWarmer(server, since);
      const stats = (await (await fetch(`${server.url}/v1/admin/stats`)).json()) as { listCache: unknown };
      process.stdout.write(`list warmer: ${JSON.stringify(stats.listCache)}\n`);
      for (const [id, n] of [
        ['bench-plain', 0],
        ['bench-rules', rules.length],
      ] as const) {
        const cpu0 = cpuSeconds(server.child.pid!);
        const r = await load({
          serverPid: server.child.pid,
          name: `GET /v1/placements/${id}/recommendations (cache ${cache})`,
          url: server.url,
          seconds,
          next: () => ({
            path: `/v1/placements/${id}/recommendations?userId=${encodeURIComponent(pick(users))}`,
          }),
        });
        const cpuMsPerRequest =
          ((cpuSeconds(server.child.pid!) - cpu0) * 1000) / Math.max(1, r.requestsPerSec * r.seconds);
        printResult(r);
        process.stdout.write(`  server CPU ${cpuMsPerRequest.toFixed(3)} ms/request\n`);
        results.push({ ...r, cache, rules: n, cpuMsPerRequest });
      }
    } finally {
      await server.stop();
    }
  }
  const ratio = (cache: string) => {
    const [plain, ruled] = results.filter((r) => r.cache === cache);
    return plain.requestsPerSec / ruled.requestsPerSec;
  };
  const cpuRatio = (cache: string) => {
    const [plain, ruled] = results.filter((r) => r.cache === cache);
    return ruled.cpuMsPerRequest / plain.cpuMsPerRequest;
  };
  process.stdout.write(
    `cost with 20 rules / without (throughput): cache on ${ratio('on').toFixed(2)}×, cache off ${ratio('off').toFixed(2)}× (bar ≤ 1.3×)\n`,
  );
  process.stdout.write(
    `cost with 20 rules / without (server CPU per request): cache on ${cpuRatio('on').toFixed(2)}×, cache off ${cpuRatio('off').toFixed(2)}×\n`,
  );
  process.stdout.write(`${JSON.stringify({ bench: 'placements', results })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
