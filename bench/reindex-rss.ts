/**
 * Memory of one `aisle serve` process around a full reindex, split the way the process sees it: RSS (from
 * /proc) beside the V8 heap and the memory V8 knows is held outside it (external, array buffers), scraped from
 * /metrics. The soak only says that RSS grew; this says which part did, in a few minutes rather than ten.
 *
 * It runs on a copy of the soak's prepared database (run the soak once first), drives personalised, similar,
 * session and event traffic at REINDEX_RSS_RPS, queues POST /v1/admin/reindex {"full":true} after
 * REINDEX_RSS_AT_S and samples every REINDEX_RSS_EVERY_MS until REINDEX_RSS_SECONDS.
 *
 * Usage: npm run build && node dist/bench/reindex-rss.js [--json]
 * Knobs (environment): REINDEX_RSS_SECONDS (300), REINDEX_RSS_AT_S (60), REINDEX_RSS_EVERY_MS (2000),
 * REINDEX_RSS_RPS (60), REINDEX_RSS_DB (aisle_bench_reindex_rss), SOAK_DB (aisle_bench_soak: the prepared
 * copy is <name>_base), BENCH_PORT (3921). The server's own environment passes through (e.g. NODE_OPTIONS).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { rssMb } from './lib/process-rss';
import { adminUrl, databaseExists, dbUrl, ROOT, startServer } from './lib/server';

const num = (name: string, fallback: number) => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
};
const SECONDS = num('REINDEX_RSS_SECONDS', 300);
const AT_S = num('REINDEX_RSS_AT_S', 60);
const EVERY_MS = num('REINDEX_RSS_EVERY_MS', 2000);
const RPS = num('REINDEX_RSS_RPS', 60);
const PORT = num('BENCH_PORT', 3921);
const BASE_DB = `${process.env.SOAK_DB ?? 'aisle_bench_soak'}_base`;
const RUN_DB = process.env.REINDEX_RSS_DB ?? 'aisle_bench_reindex_rss';
for (const name of [BASE_DB, RUN_DB])
  if (!/^[a-z_][a-z0-9_]{0,50}$/.test(name)) throw new Error(`not a plain database name "${name}"`);
const DATA_DIR = path.join(ROOT, '.data', 'bench-reindex-rss');
const API_KEY = `rss-${randomBytes(12).toString('hex')}`;
const say = (line = '') => process.stdout.write(`${line}\n`);

async function query<T extends Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

interface Sample {
  s: number;
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}

/** The V8 heap and external memory of the server, from prom-client's default metrics. */
async function scrape(url: string): Promise<Omit<Sample, 's' | 'rssMb'> | undefined> {
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    const metric = (name: string) => {
      const m = new RegExp(`^${name} ([0-9.e+]+)`, 'm').exec(text);
      return m ? Number(m[1]) / 2 ** 20 : NaN;
    };
    return {
      heapUsedMb: metric('nodejs_heap_size_used_bytes'),
      heapTotalMb: metric('nodejs_heap_size_total_bytes'),
      externalMb: metric('nodejs_external_memory_bytes'),
    };
  } catch {
    return undefined;
  }
}

const pick = <T>(a: readonly T[]): T => a[Math.floor(Math.random() * a.length)];

async function main(): Promise<void> {
  if (!(await databaseExists(BASE_DB)))
    throw new Error(`${BASE_DB} does not exist: run the soak once to prepare it`);
  await query(adminUrl(), `DROP DATABASE IF EXISTS ${RUN_DB} WITH (FORCE)`);
  await query(adminUrl(), `CREATE DATABASE ${RUN_DB} TEMPLATE ${BASE_DB}`);
  fs.rmSync(path.join(DATA_DIR, 'index'), { recursive: true, force: true });
  fs.mkdirSync(DATA_DIR, { recursive: true });
  const url = dbUrl(RUN_DB);
  const items = (await query<{ id: string }>(url, 'SELECT id FROM items WHERE deleted_at IS NULL')).map(
    (r) => r.id,
  );
  const users = (
    await query<{ user_id: string }>(url, "SELECT DISTINCT user_id FROM events WHERE type = 'purchase'")
  ).map((r) => r.user_id);

  const server = await startServer(
    { DATABASE_URL: url, DATA_DIR, API_KEYS: `${API_KEY}:read+write+admin` },
    PORT,
    path.join(DATA_DIR, 'server.log'),
  );
  const pid = server.child.pid!;
  say(`server ready (pid ${pid}); ${items.length} items, ${users.length} buyers`);
  const headers = { 'x-api-key': API_KEY, 'content-type': 'application/json' };
  const t0 = performance.now();
  const deadline = t0 + SECONDS * 1000;
  const statuses = new Map<string, number>();
  const send = async (method: string, p: string, body?: unknown) => {
    const route = `${method} ${p.replace(/\/(users|items)\/[^/?]+/, '/$1/:id').replace(/\?.*/, '')}`;
    const count = (status: number) => {
      const key = `${route} ${status}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    };
    try {
      const res = await fetch(`${server.url}${p}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      await res.text();
      count(res.status);
    } catch {
      count(0);
    }
  };
  let seq = 0;
  const runId = randomBytes(4).toString('hex');
  const operation = (): Promise<void> => {
    const r = Math.random();
    if (r < 0.35) return send('GET', `/v1/users/${encodeURIComponent(pick(users))}/recommendations?limit=20`);
    if (r < 0.65) return send('GET', `/v1/items/${encodeURIComponent(pick(items))}/similar?limit=20`);
    if (r < 0.8)
      return send('POST', '/v1/recommendations', { itemIds: [pick(items), pick(items)], limit: 20 });
    return send('POST', '/v1/events', {
      events: Array.from({ length: 10 }, () => ({
        userId: pick(users),
        itemId: pick(items),
        type: 'view',
        eventId: `rss-${runId}-${seq++}`,
      })),
    });
  };
  const CLIENTS = 8;
  const clients = Array.from({ length: CLIENTS }, async () => {
    const interval = (1000 * CLIENTS) / RPS;
    let next = performance.now() + Math.random() * interval;
    while (performance.now() < deadline) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await operation();
      next = Math.max(next + interval, performance.now());
    }
  });

  const samples: Sample[] = [];
  const sampler = (async () => {
    while (performance.now() < deadline) {
      const s = Math.round((performance.now() - t0) / 1000);
      const rss = rssMb(pid);
      const heap = await scrape(server.url);
      if (rss !== undefined && heap) {
        samples.push({ s, rssMb: rss, ...heap });
        say(
          `[${s}s] rss ${rss.toFixed(0)} MB, heap used ${heap.heapUsedMb.toFixed(0)} / total ${heap.heapTotalMb.toFixed(0)} MB, external ${heap.externalMb.toFixed(0)} MB`,
        );
      }
      await new Promise((r) => setTimeout(r, EVERY_MS));
    }
  })();

  const job = (async () => {
    await new Promise((r) => setTimeout(r, AT_S * 1000));
    const res = await fetch(`${server.url}/v1/admin/reindex`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ full: true }),
    });
    const { jobId } = (await res.json()) as { jobId?: string };
    say(`[${Math.round((performance.now() - t0) / 1000)}s] full reindex queued: ${jobId ?? res.status}`);
    let status = 'queued';
    while (jobId && performance.now() < deadline && status !== 'succeeded' && status !== 'failed') {
      await new Promise((r) => setTimeout(r, 2000));
      const j = (await (await fetch(`${server.url}/v1/admin/jobs/${jobId}`, { headers })).json()) as {
        status: string;
      };
      if (j.status !== status)
        say(`[${Math.round((performance.now() - t0) / 1000)}s] reindex ${(status = j.status)}`);
    }
  })();

  try {
    await Promise.all([...clients, sampler, job]);
  } finally {
    await server.stop();
    await query(adminUrl(), `DROP DATABASE IF EXISTS ${RUN_DB} WITH (FORCE)`);
  }
  say(`responses by route and status (0: no answer): ${JSON.stringify(Object.fromEntries(statuses))}`);
  const peak = (from: number, to: number, k: keyof Sample) =>
    Math.max(...samples.filter((x) => x.s >= from && x.s < to).map((x) => x[k]));
  const last = Math.max(0, SECONDS - 60);
  for (const k of ['rssMb', 'heapUsedMb', 'heapTotalMb', 'externalMb'] as const)
    say(
      `${k}: peak before the reindex ${peak(0, AT_S, k).toFixed(0)}, in the last minute ${peak(last, SECONDS, k).toFixed(0)}`,
    );
  if (process.argv.includes('--json')) say(JSON.stringify({ bench: 'reindex-rss', samples }));
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(2);
});
