/**
 * What recording served lists costs the recommendations route: GET /v1/users/:id/recommendations for random
 * purchasing users of the full Online Retail data (imported once into aisle_bench_recording), 32 connections,
 * with recording on (the default) and off (SERVED_LISTS_QUEUE_MAX=0: every list still gets its recommId,
 * none is stored), each with the list cache on and off (RECS_CACHE_TTL_MS=0). The bar: recording costs
 * ≤ 10 % of the throughput, p99 ≤ 50 ms.
 *
 * Also reported, per run: the server process's CPU per request (from /proc; PostgreSQL's share of the
 * writes is on the database server and not in it), and how many lists were stored. And, in-process without
 * HTTP, the Node CPU of recording alone: `record()` on the request path and the batch write per list, and
 * the batch write's CPU in PostgreSQL when it runs on this machine.
 *
 * Each of the four runs is repeated BENCH_ROUNDS times (default 2), recording on and off back to back in
 * alternating order, so that a machine's changing load falls on both alike.
 *
 * Usage: npm run build && BENCH_SECONDS=10 [BENCH_ROUNDS=2] [BENCH_PORT=3917] node dist/bench/recording-cost.js [--json]
 *        [--in-process] (the in-process measure only, no load runs) [--stored n] (the in-process measure writes
 *        into a table holding n lists, written by the recorder first; the table is emptied before and after)
 */
import * as fs from 'node:fs';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ServedListRecorder } from '../src/attribution/served-list.recorder';
import { openRuntime, withContext } from '../src/cli/context';
import { load, printResult, type LoadResult } from './lib/load';
import { databaseExists, dbUrl, ONLINE_RETAIL, recreateDatabase, runCli, startServer } from './lib/server';

const DB = 'aisle_bench_recording';
const CLOCK_TICKS = 100; // USER_HZ on Linux
/** Not the benches' usual 3900, so it can run beside another bench. */
const PORT = Number(process.env.BENCH_PORT ?? '3917');

async function query<T extends Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

/** User + system CPU seconds the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // After "pid (comm) ": state is field 3, utime 14 and stime 15 (1-based), i.e. indexes 11 and 12 here.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

async function waitForWarmer(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const stats = (await (await fetch(`${url}/v1/admin/stats`)).json()) as {
      listCache: { warming: boolean; lastPassAt: string | null } | null;
    };
    if (!stats.listCache || (!stats.listCache.warming && stats.listCache.lastPassAt)) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * CPU seconds used so far by every process named `postgres` on this machine (the server, its backends and its
 * background workers): with the database on this machine, what a write costs it. 0 when none runs here.
 */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === 'postgres')
        total += cpuSeconds(Number(pid));
    } catch {
      // The process ended between listing and reading.
    }
  }
  return total;
}

/**
 * CPU of recording alone, in this process: the request-path call, then the batched write, per list; and the
 * batched write's CPU in PostgreSQL (postgresCpuSeconds, including whatever else it did meanwhile).
 */
async function inProcess(
  url: string,
  stored: number,
): Promise<{ recordUs: number; writeUs: number; postgresWriteUs: number; lists: number; stored: number }> {
  process.env.DATABASE_URL = url;
  process.env.LOG_LEVEL = 'warn';
  const rt = await openRuntime();
  try {
    return await withContext(rt, async (ctx) => {
      const recorder = ctx.get(ServedListRecorder);
      const lists = 20_000;
      const itemIds = Array.from({ length: 10 }, (_, i) => `8509${i}`);
      const db = ctx.get(DataSource);
      if (stored > 0) {
        // A shop's table after weeks of lists: `stored` rows written as the recorder writes them (its own
        // recommIds), in the bench's own database, emptied first and again at the end.
        await db.query('TRUNCATE served_lists');
        for (let done = 0; done < stored;) {
          const n = Math.min(50_000, stored - done);
          for (let i = 0; i < n; i++)
            recorder.record({
              source: 'user',
              isPlacement: false,
              userId: `fill-${(done + i) % 40_000}`,
              modelVersion: 'v1',
              strategy: 'engine',
              itemIds,
            });
          await recorder.flush();
          done += n;
        }
        await db.query('CHECKPOINT');
      }
      await recorder.flush();
      const t0 = process.cpuUsage();
      for (let i = 0; i < lists; i++)
        recorder.record({
          source: 'user',
          isPlacement: false,
          userId: `bench-${i % 4000}`,
          modelVersion: 'v1',
          strategy: 'engine',
          itemIds,
        });
      const t1 = process.cpuUsage(t0);
      const pg0 = postgresCpuSeconds();
      await recorder.flush();
      const t2 = process.cpuUsage(t0);
      const pg = postgresCpuSeconds() - pg0;
      if (stored > 0) await db.query('TRUNCATE served_lists');
      else await db.query(`DELETE FROM served_lists WHERE user_id LIKE 'bench-%'`);
      const us = (u: NodeJS.CpuUsage) => u.user + u.system;
      return {
        recordUs: us(t1) / lists,
        writeUs: (us(t2) - us(t1)) / lists,
        postgresWriteUs: (pg * 1e6) / lists,
        lists,
        stored,
      };
    });
  } finally {
    await rt.db.stop();
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
  const users = (
    await query<{ user_id: string }>(url, "SELECT DISTINCT user_id FROM events WHERE type = 'purchase'")
  ).map((r) => r.user_id);
  const pick = <T>(a: T[]): T => a[Math.floor(Math.random() * a.length)];
  const stored = async () =>
    Number((await query<{ n: string }>(url, 'SELECT count(*) AS n FROM served_lists'))[0].n);

  const storedFlag = process.argv.indexOf('--stored');
  const storedBefore = storedFlag >= 0 ? Number(process.argv[storedFlag + 1]) : 0;
  if (!Number.isInteger(storedBefore) || storedBefore < 0)
    throw new Error('--stored must be a whole number of lists');
  const own = await inProcess(url, storedBefore);
  process.stdout.write(
    `in-process Node CPU per list: record() ${own.recordUs.toFixed(2)} µs, batched write ${own.writeUs.toFixed(2)} µs` +
      ` (${own.lists} lists into a table of ${own.stored}); PostgreSQL CPU per list for the batched write` +
      ` ${own.postgresWriteUs.toFixed(2)} µs\n`,
  );
  if (process.argv.includes('--in-process')) return;

  type Run = LoadResult & {
    cache: string;
    recording: string;
    round: number;
    cpuMsPerRequest: number;
    stored: number;
  };
  const runs: Run[] = [];
  // On a shared machine the load drifts from one run to the next: every round runs recording on and off
  // back to back, in the opposite order each round (on, off, then off, on, …), so drift falls on both alike.
  const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? '2'));
  for (const cache of ['on', 'off'] as const) {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
      for (const recording of order) {
        const env: Record<string, string> = { DATABASE_URL: url };
        if (cache === 'off') env.RECS_CACHE_TTL_MS = '0';
        if (recording === 'off') env.SERVED_LISTS_QUEUE_MAX = '0';
        const server = await startServer(env, PORT);
        try {
          await waitForWarmer(server.url);
          const before = await stored();
          const cpu0 = cpuSeconds(server.child.pid!);
          const r = await load({
            serverPid: server.child.pid,
            name: `recs cache ${cache}, recording ${recording}, round ${round + 1}`,
            url: server.url,
            seconds,
            next: () => ({ path: `/v1/users/${encodeURIComponent(pick(users))}/recommendations` }),
          });
          const cpu = cpuSeconds(server.child.pid!) - cpu0;
          // Lists still queued are written within a flush interval.
          await new Promise((res) => setTimeout(res, 1000));
          const requests = r.requestsPerSec * r.seconds;
          const run: Run = {
            ...r,
            cache,
            recording,
            round: round + 1,
            cpuMsPerRequest: requests > 0 ? (cpu * 1000) / requests : 0,
            stored: (await stored()) - before,
          };
          printResult(r);
          process.stdout.write(
            `  server CPU ${run.cpuMsPerRequest.toFixed(3)} ms/request, ${run.stored} lists stored\n`,
          );
          runs.push(run);
        } finally {
          await server.stop();
        }
      }
    }
  }
  const sum = (rs: Run[], f: (r: Run) => number) => rs.reduce((a, r) => a + f(r), 0);
  for (const cache of ['on', 'off']) {
    const on = runs.filter((r) => r.cache === cache && r.recording === 'on');
    const off = runs.filter((r) => r.cache === cache && r.recording === 'off');
    // Requests over seconds of all rounds together; CPU per request weighted by requests alike.
    const rate = (rs: Run[]) => sum(rs, (r) => r.requestsPerSec * r.seconds) / sum(rs, (r) => r.seconds);
    const cpu = (rs: Run[]) =>
      sum(rs, (r) => r.cpuMsPerRequest * r.requestsPerSec * r.seconds) /
      sum(rs, (r) => r.requestsPerSec * r.seconds);
    const cost = 1 - rate(on) / rate(off);
    const p99 = Math.max(...on.map((r) => r.p99ms));
    process.stdout.write(
      `cache ${cache}: recording costs ${(cost * 100).toFixed(1)} % of the throughput (bar ≤ 10 %; per round: ` +
        `${on.map((r, i) => `${((1 - r.requestsPerSec / off[i].requestsPerSec) * 100).toFixed(1)} %`).join(', ')}), ` +
        `server CPU per request ${cpu(on).toFixed(3)} vs ${cpu(off).toFixed(3)} ms ` +
        `(${((cpu(on) / cpu(off) - 1) * 100).toFixed(1)} %), worst p99 with recording ${p99.toFixed(1)} ms (bar ≤ 50 ms)\n`,
    );
  }
  process.stdout.write(`${JSON.stringify({ bench: 'recording-cost', inProcess: own, runs })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
