/**
 * A server's memory across one fine-tune, FINETUNE_PROCESS=child against inline: for each mode a server on its own
 * copy of the soak's prepared Online Retail database (run `node dist/bench/soak.js` once first) queues
 * POST /v1/admin/finetune and waits for it, its RSS sampled every 2 s before, during and after. Both modes run at
 * once (their own databases, DATA_DIRs and ports), so they share the machine's load alike.
 *
 * Usage: npm run build && node dist/bench/finetune-rss.js
 * Knobs (environment): SOAK_DB (aisle_bench_soak: the prepared copy is <name>_base), RSS_AFTER_S (60: how long
 * to sample after the job), FINETUNE_* as for the server (default here FINETUNE_EPOCHS=1 and
 * FINETUNE_RETRAIN_FULL=false, to keep the run short; the job still loads every interaction).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { rssMb, treeRssMb } from './lib/process-rss';
import { adminUrl, databaseExists, dbUrl, ROOT, startServer, type RunningServer } from './lib/server';

const DB_PREFIX = process.env.SOAK_DB ?? 'aisle_bench_soak';
const BASE_DB = `${DB_PREFIX}_base`;
const AFTER_S = Number(process.env.RSS_AFTER_S ?? 60);
const MODES = ['child', 'inline'] as const;
type Mode = (typeof MODES)[number];

const say = (msg: string) => process.stderr.write(`${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function admin(sql: string): Promise<void> {
  const c = new Client({ connectionString: adminUrl() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

interface Sample {
  at: number;
  phase: 'before' | 'during' | 'after';
  mb: number;
  treeMb: number;
}

interface Run {
  mode: Mode;
  samples: Sample[];
  job: unknown;
}

async function measure(mode: Mode, port: number): Promise<Run> {
  const db = `${DB_PREFIX}_rss_${mode}`;
  await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${db} TEMPLATE ${BASE_DB}`);
  const dataDir = path.join(ROOT, '.data', `bench-finetune-rss-${mode}`);
  fs.rmSync(path.join(dataDir, 'index'), { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  const server: RunningServer = await startServer(
    {
      DATABASE_URL: dbUrl(db),
      DATA_DIR: dataDir,
      FINETUNE_PROCESS: mode,
      FINETUNE_EPOCHS: process.env.FINETUNE_EPOCHS ?? '1',
      FINETUNE_RETRAIN_FULL: process.env.FINETUNE_RETRAIN_FULL ?? 'false',
      RECS_WARM_USERS: '0',
    },
    port,
    path.join(dataDir, 'server.log'),
  );
  const pid = server.child.pid!;
  const samples: Sample[] = [];
  const t0 = Date.now();
  let phase: Sample['phase'] = 'before';
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const mb = rssMb(pid);
      const treeMb = treeRssMb(pid);
      if (mb !== undefined && treeMb !== undefined)
        samples.push({ at: (Date.now() - t0) / 1000, phase, mb, treeMb });
      await sleep(2000);
    }
  })();
  let job: { status: string; error?: string } = { status: 'queued' };
  try {
    await sleep(20_000);
    phase = 'during';
    const res = await fetch(`${server.url}/v1/admin/finetune`, { method: 'POST' });
    const { jobId } = (await res.json()) as { jobId: string };
    say(`${mode}: fine-tune ${jobId} queued at ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    while (job.status === 'queued' || job.status === 'running') {
      await sleep(2000);
      job = (await (await fetch(`${server.url}/v1/admin/jobs/${jobId}`)).json()) as { status: string };
    }
    say(`${mode}: fine-tune ${job.status} at ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    phase = 'after';
    await sleep(AFTER_S * 1000);
    return { mode, samples, job };
  } catch (e) {
    // A server that stops answering (or dies) mid-job still leaves its samples worth reporting.
    const message = e instanceof Error ? e.message : String(e);
    say(
      `${mode}: ${message} at ${((Date.now() - t0) / 1000).toFixed(0)} s (server ${rssMb(pid) ? 'alive' : 'gone'})`,
    );
    return { mode, samples, job: { status: 'unknown', error: message } };
  } finally {
    sampling = false;
    await sampler;
    await server.stop();
    await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  }
}

const peak = (xs: Sample[], key: 'mb' | 'treeMb') =>
  xs.length === 0 ? NaN : Math.round(Math.max(...xs.map((x) => x[key])));

async function main(): Promise<void> {
  if (!(await databaseExists(BASE_DB)))
    throw new Error(`${BASE_DB} does not exist: run the soak once (node dist/bench/soak.js) to prepare it`);
  const runs = await Promise.all(MODES.map((mode, i) => measure(mode, 3951 + i)));
  say('\nserver RSS (MB; in brackets with its child processes), peak per phase:');
  say('mode     before        during        after (last ' + AFTER_S + ' s)   after/before   job');
  for (const r of runs) {
    const of = (p: Sample['phase']) => r.samples.filter((s) => s.phase === p);
    const [b, d, a] = [of('before'), of('during'), of('after')];
    const job = r.job as { status: string; error?: string; result?: { activated?: boolean } };
    say(
      `${r.mode.padEnd(8)} ${String(peak(b, 'mb')).padStart(4)} [${peak(b, 'treeMb')}]    ${String(peak(d, 'mb')).padStart(4)} [${peak(d, 'treeMb')}]    ${String(peak(a, 'mb')).padStart(4)} [${peak(a, 'treeMb')}]          ${((peak(a, 'mb') / peak(b, 'mb')) * 100).toFixed(0)} %          ${job.status}${job.error ? `: ${job.error}` : ''}`,
    );
    say(`  samples (s:MB): ${r.samples.map((s) => `${Math.round(s.at)}:${Math.round(s.mb)}`).join(' ')}`);
  }
  if (process.argv.includes('--json'))
    process.stdout.write(
      `${JSON.stringify(runs.map((r) => ({ mode: r.mode, job: r.job, samples: r.samples })))}\n`,
    );
}

main().catch((e: unknown) => {
  say(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
