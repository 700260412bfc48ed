/**
 * GET /v1/admin/analytics over a year of served lists (default 10 million) and their clicks, add-to-carts and
 * purchases. Seeds its own database (aisle_bench_analytics) in SQL — generate_series, indexes built after the
 * load — then times the endpoint for the last 30 and 365 days, overall, per placement and for one placement:
 * the first call on a fresh server (cold) and the median of the next ones (warm). With --direct it first
 * times the 30-day calls before any rollup exists (everything computed from the raw rows; a year of raw
 * rows takes minutes). Last, the database server's CPU time per warm call (read from /proc when PostgreSQL
 * runs on this host), a figure that a busy machine does not inflate the way it inflates wall time.
 * The bar: ≤ 1 s.
 *
 * Usage: npm run build && node dist/bench/analytics.js [--lists 10000000] [--reuse] [--direct] [--json]
 *   --reuse   keep the database of an earlier run with the same --lists (its year ends when it was seeded)
 */
import * as fs from 'node:fs';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AnalyticsRepository, type GroupBy } from '../src/attribution/analytics.repository';
import { dataSourceOptions } from '../src/database/data-source';
import { adminUrl, databaseExists, dbUrl, recreateDatabase, runCli, startServer } from './lib/server';

const DB = 'aisle_bench_analytics';
const DAY_MS = 86_400_000;
const ITEMS = 5000;
const WARM_CALLS = 5;
/** The year of data must outlive retention during the bench. */
const SERVER_ENV = {
  SERVED_LISTS_RETENTION_DAYS: '400',
  // Nothing else should compete for the CPU: no job runner (the catalog has no vectors), no stats refresh.
  JOBS_WORKER: 'false',
  STATS_REFRESH_MS: '0',
  RECS_WARM_USERS: '0',
};

const arg = (name: string): string | undefined =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const log = (msg: string) => process.stderr.write(`${msg}\n`);

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Runs `fn` with the table's secondary indexes and primary key dropped, then builds them again exactly as
 * they were (their definitions are read from the catalog first): a bulk load plus one sort per index is
 * far faster than maintaining a random-UUID B-tree row by row.
 */
async function withoutIndexes(c: Client, table: string, keepPrimary: boolean, fn: () => Promise<void>) {
  const pk = (
    await c.query<{ name: string; def: string }>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
       WHERE conrelid = $1::regclass AND contype = 'p'`,
      [table],
    )
  ).rows[0];
  const indexes = (
    await c.query<{ name: string; def: string }>(
      `SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE tablename = $1 AND indexname <> $2`,
      [table, pk?.name ?? ''],
    )
  ).rows;
  for (const i of indexes) await c.query(`DROP INDEX "${i.name}"`);
  if (pk && !keepPrimary) await c.query(`ALTER TABLE ${table} DROP CONSTRAINT "${pk.name}"`);
  await fn();
  const t0 = Date.now();
  if (pk && !keepPrimary) await c.query(`ALTER TABLE ${table} ADD CONSTRAINT "${pk.name}" ${pk.def}`);
  for (const i of indexes) await c.query(i.def);
  log(`  ${table}: ${indexes.length + (keepPrimary ? 0 : 1)} indexes built in ${(Date.now() - t0) / 1000} s`);
}

/**
 * A year of traffic ending now. Lists: six sources (three placements, one with variants A/B), a model
 * version per month, 70 % with a user and 30 % with a session, ten items each. Per list, by a hash of its id:
 * 4 % get a click (a tenth of them up to 30 hours late), 1 % an add-to-cart, 0.5 % a purchase by recommId
 * (half with their own price), 1 % a purchase without recommId of one of its items within 20 hours
 * (an estimated conversion); plus 2 million organic views and 100,000 organic purchases over the year.
 */
async function seed(url: string, lists: number): Promise<void> {
  await withClient(url, async (c) => {
    // The analytics triggers only matter once rollups exist; none do while the database is being seeded.
    await c.query(`SET session_replication_role = replica`);
    await c.query(`SET maintenance_work_mem = '512MB'`);
    await c.query(`SET synchronous_commit = off`);
    await c.query(
      `INSERT INTO items (id, title, price, content_hash)
       SELECT 'I' || lpad(k::text, 5, '0'), 'Bench item ' || k, round((1 + (k * 37 % 5000) / 100.0)::numeric, 2),
              repeat('0', 64)
       FROM generate_series(1, $1::int) k`,
      [ITEMS],
    );
    await c.query(
      `CREATE TEMP TABLE bench_arrays AS
       SELECT a, ARRAY(SELECT 'I' || lpad((1 + (a * 97 + j * 131) % $1::int)::text, 5, '0')
                       FROM generate_series(0, 9) j)::varchar[] AS ids
       FROM generate_series(0, 999) a`,
      [ITEMS],
    );
    const start = Date.now() - 365 * DAY_MS;
    const chunk = 1_000_000;
    await withoutIndexes(c, 'events', true, async () => {
      await withoutIndexes(c, 'served_lists', false, async () => {
        for (let lo = 1; lo <= lists; lo += chunk) {
          const t0 = Date.now();
          const hi = Math.min(lists, lo + chunk - 1);
          await c.query(
            `WITH l AS (
               INSERT INTO served_lists (recomm_id, source, is_placement, user_id, session_id, variant,
                                         model_version, strategy, item_ids, served_at)
               SELECT md5('L' || n)::uuid::text,
                      (ARRAY['home', 'pdp-similar', 'cart', 'user', 'similar', 'popular'])[1 + h % 6],
                      h % 6 < 3,
                      CASE WHEN (h / 7) % 10 < 7 THEN 'u' || (h / 13) % 200000 END,
                      CASE WHEN (h / 7) % 10 >= 7 OR (h / 11) % 10 < 1 THEN 's' || (h / 17) % 500000 END,
                      CASE WHEN h % 6 = 0 THEN (ARRAY['A', 'B'])[1 + (h / 19) % 2] END,
                      'v' || (n * 12 / ($3::bigint + 1)),
                      CASE WHEN h % 6 = 5 THEN 'popular' ELSE 'engine' END,
                      a.ids,
                      to_timestamp($4::float8 / 1000 + (n - 1) * (365 * 86400.0 / $3::bigint))
               FROM generate_series($1::bigint, $2::bigint) n
               CROSS JOIN LATERAL (SELECT hashint8(n) & 2147483647 AS h) x
               JOIN bench_arrays a ON a.a = x.h % 1000
               RETURNING recomm_id, user_id, session_id, item_ids, served_at
             ),
             x AS (
               SELECT l.*, hashtext(l.recomm_id) & 2147483647 AS h,
                      COALESCE(l.user_id, 'anon-' || l.session_id) AS who
               FROM l
             )
             INSERT INTO events (event_id, user_id, item_id, type, value, session_id, occurred_at, recomm_id,
                                 position, price)
             SELECT 'c-' || recomm_id, who, item_ids[1 + h % 10], 'view', NULL::float8, session_id,
                    served_at + make_interval(secs => h % 600)
                      + CASE WHEN h % 10 = 0 THEN make_interval(hours => h % 30) ELSE interval '0' END,
                    recomm_id, 1 + h % 10, NULL::float8
             FROM x WHERE h % 100 < 4 AND who IS NOT NULL
             UNION ALL
             SELECT 'a-' || recomm_id, who, item_ids[1 + h % 10], 'add_to_cart', NULL, session_id,
                    served_at + make_interval(secs => 60 + h % 600), recomm_id, 1 + h % 10, NULL
             FROM x WHERE h % 100 < 1 AND who IS NOT NULL
             UNION ALL
             SELECT 'p-' || recomm_id, who, item_ids[1 + h % 10], 'purchase', 1 + h % 3, session_id,
                    served_at + make_interval(secs => 120 + h % 600), recomm_id, 1 + h % 10,
                    CASE WHEN (h / 200) % 2 = 0 THEN 4.99 END
             FROM x WHERE h % 200 = 0 AND who IS NOT NULL
             UNION ALL
             SELECT 'e-' || recomm_id, who, item_ids[1 + (h / 100) % 10], 'purchase', 1, session_id,
                    served_at + make_interval(mins => h % 1200), NULL, NULL, NULL
             FROM x WHERE h % 100 = 50 AND who IS NOT NULL`,
            [lo, hi, lists, start],
          );
          log(
            `  served lists ${hi.toLocaleString('en')} / ${lists.toLocaleString('en')} (${(Date.now() - t0) / 1000} s)`,
          );
        }
      });
      await c.query(
        `INSERT INTO events (event_id, user_id, item_id, type, occurred_at)
         SELECT 'o-' || k, 'u' || (hashint4(k) & 2147483647) % 200000,
                'I' || lpad((1 + (hashint4(k + 1) & 2147483647) % $1::int)::text, 5, '0'),
                CASE WHEN k % 20 = 0 THEN 'purchase' ELSE 'view' END,
                to_timestamp($2::float8 / 1000 + k * (365 * 86400.0 / 2000000))
         FROM generate_series(1, 2000000) k`,
        [ITEMS, start],
      );
    });
    await c.query(`ANALYZE`);
    await c.query(`CREATE TABLE bench_meta AS SELECT $1::bigint AS lists, now() AS seeded_at`, [lists]);
  });
}

async function timed(url: string): Promise<{ ms: number; rows: number }> {
  const t0 = process.hrtime.bigint();
  const res = await fetch(url);
  const body = (await res.json()) as { rows?: unknown[] };
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return { ms, rows: body.rows?.length ?? 0 };
}

interface Timing {
  phase: string;
  query: string;
  coldMs: number;
  warmMs?: number;
  rows: number;
}

async function measure(base: string, phase: string, warm: boolean, spans: number[]): Promise<Timing[]> {
  const now = Date.now();
  const out: Timing[] = [];
  for (const days of spans) {
    const from = new Date(now - days * DAY_MS).toISOString();
    for (const [name, extra] of [
      ['overall', ''],
      ['per placement', '&groupBy=placement'],
      ['placement=home', '&placement=home'],
      ['by day and placement', '&groupBy=day,placement'],
    ] as const) {
      const url = `${base}/v1/admin/analytics?from=${encodeURIComponent(from)}${extra}`;
      const cold = await timed(url);
      let warmMs: number | undefined;
      if (warm) {
        const ms: number[] = [];
        for (let i = 0; i < WARM_CALLS; i++) ms.push((await timed(url)).ms);
        warmMs = ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)];
      }
      const t: Timing = { phase, query: `${days} days, ${name}`, coldMs: cold.ms, warmMs, rows: cold.rows };
      process.stdout.write(
        `${phase.padEnd(16)} ${t.query.padEnd(34)} cold ${t.coldMs.toFixed(0).padStart(7)} ms` +
          (warmMs !== undefined ? `  warm ${warmMs.toFixed(0).padStart(6)} ms` : '') +
          `  (${t.rows} rows)\n`,
      );
      out.push(t);
    }
  }
  return out;
}

/**
 * The database's CPU per call, as a quiet machine would spend it: the same repository call on one pooled
 * connection whose server process's CPU time is read from /proc (only when PostgreSQL runs on this host).
 */
async function databaseCpu(url: string): Promise<Array<{ query: string; cpuMs: number }> | undefined> {
  const ds = new DataSource({ ...dataSourceOptions(url), extra: { max: 1 } });
  await ds.initialize();
  try {
    const [{ pid }] = await ds.query<Array<{ pid: number }>>('SELECT pg_backend_pid() AS pid');
    const stat = `/proc/${pid}/stat`;
    if (!fs.existsSync(stat)) return undefined;
    const cpuMs = () => {
      const f = fs.readFileSync(stat, 'utf8').split(') ')[1].split(' ');
      return (Number(f[11]) + Number(f[12])) * 10; // clock ticks of 10 ms
    };
    const repo = new AnalyticsRepository(ds);
    const out: Array<{ query: string; cpuMs: number }> = [];
    for (const days of [30, 365]) {
      for (const [name, groupBy, placement] of [
        ['overall', [], undefined],
        ['per placement', ['placement'], undefined],
        ['placement=home', [], 'home'],
        ['by day and placement', ['day', 'placement'], undefined],
      ] as Array<[string, GroupBy[], string | undefined]>) {
        const to = new Date();
        const q = { from: new Date(to.getTime() - days * DAY_MS), to, groupBy, placement, windowHours: 24 };
        await repo.query(q); // warm
        const runs: number[] = [];
        for (let i = 0; i < 3; i++) {
          const c0 = cpuMs();
          await repo.query(q);
          runs.push(cpuMs() - c0);
        }
        const r = { query: `${days} days, ${name}`, cpuMs: runs.sort((a, b) => a - b)[1] };
        process.stdout.write(`database CPU     ${r.query.padEnd(34)} ${String(r.cpuMs).padStart(7)} ms\n`);
        out.push(r);
      }
    }
    return out;
  } finally {
    await ds.destroy();
  }
}

async function main(): Promise<void> {
  const lists = Number(arg('--lists') ?? 10_000_000);
  let url = dbUrl(DB);
  const seeded =
    process.argv.includes('--reuse') &&
    (await databaseExists(DB)) &&
    (await withClient(url, async (c) => {
      const r = await c.query<{ lists: string }>(`SELECT lists FROM bench_meta`).catch(() => undefined);
      return Number(r?.rows[0]?.lists) === lists;
    }));
  let seedSeconds: number | undefined;
  if (!seeded) {
    log(
      `seeding ${lists.toLocaleString('en')} served lists into ${DB} on ${adminUrl().replace(/:[^:@/]*@/, ':***@')}`,
    );
    url = await recreateDatabase(DB);
    await runCli(['db:migrate', '--json'], { DATABASE_URL: url });
    const t0 = Date.now();
    await seed(url, lists);
    seedSeconds = (Date.now() - t0) / 1000;
    log(`seeded in ${seedSeconds} s`);
  }
  const counts = await withClient(url, async (c) => {
    const r = await c.query<{ lists: string; events: string; seeded_at: Date }>(
      `SELECT (SELECT count(*) FROM served_lists) AS lists, (SELECT count(*) FROM events) AS events,
              (SELECT seeded_at FROM bench_meta) AS seeded_at`,
    );
    return r.rows[0];
  });
  log(`served lists: ${counts.lists}, events: ${counts.events}, seeded at ${counts.seeded_at.toISOString()}`);
  const env = { DATABASE_URL: url, ...SERVER_ENV };
  const timings: Timing[] = [];
  if (process.argv.includes('--direct')) {
    await withClient(url, (c) =>
      c.query(`TRUNCATE analytics_days, analytics_daily, analytics_daily_unpriced`),
    );
    const server = await startServer(
      { ...env, DB_STATEMENT_TIMEOUT_MS: '900000' },
      3921,
      undefined,
      '/health/live',
    );
    try {
      timings.push(...(await measure(server.url, 'no rollups', false, [30])));
    } finally {
      await server.stop();
    }
  }
  log('computing the daily rollups (aisle analytics:rollup)…');
  const rollup = await runCli(['analytics:rollup', '--json'], env);
  const rollupSummary = JSON.parse(rollup.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  log(`rollups: ${JSON.stringify(rollupSummary)}`);
  const server = await startServer(env, 3921, undefined, '/health/live');
  try {
    timings.push(...(await measure(server.url, 'rollups', true, [30, 365])));
  } finally {
    await server.stop();
  }
  const dbCpu = await databaseCpu(url);
  const worst = Math.max(
    ...timings.filter((t) => t.phase === 'rollups').map((t) => Math.max(t.coldMs, t.warmMs ?? 0)),
  );
  process.stdout.write(`slowest call with rollups: ${worst.toFixed(0)} ms (bar ≤ 1000 ms)\n`);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'analytics',
      servedLists: Number(counts.lists),
      events: Number(counts.events),
      seedSeconds,
      rollup: rollupSummary,
      timings,
      databaseCpu: dbCpu,
      slowestMs: worst,
    })}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
