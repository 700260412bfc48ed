import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { databaseExists, dbUrl, ROOT, runCli } from './server';

/**
 * Where the Online Retail benches run. By default the database api-load.ts imports (aisle_bench_api) with the
 * raw text vectors in DATA_DIR (512-d: a shop before its first night). With `--finetuned`, a copy of it after
 * the nightly command (aisle_bench_api_ft, its index in .data/bench-api-ft): the served vectors are then the
 * fine-tune's projection (FINETUNE_DIM, 128-d by default) and the blends its gate tuned — what a shop serves
 * from its second day on. The copy is made once and reused (`--fresh` in api-load.ts makes both again).
 */
export interface BenchData {
  db: string;
  url: string;
  /** Environment for servers and commands on it (its DATA_DIR when it has its own). */
  env: Record<string, string>;
  label: 'raw' | 'finetuned';
}

export const RAW_DB = 'aisle_bench_api';
const FINETUNED_DB = 'aisle_bench_api_ft';
const FINETUNED_DIR = path.join(ROOT, '.data', 'bench-api-ft');

export function wantsFinetuned(argv: readonly string[] = process.argv): boolean {
  return argv.includes('--finetuned');
}

export function rawBenchData(): BenchData {
  return { db: RAW_DB, url: dbUrl(RAW_DB), env: { DATABASE_URL: dbUrl(RAW_DB) }, label: 'raw' };
}

async function query<T extends object>(url: string, sql: string): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

async function hasActiveModel(url: string): Promise<boolean> {
  try {
    return (await query(url, `SELECT 1 FROM model_versions WHERE status = 'active'`)).length > 0;
  } catch {
    return false; // not migrated: an interrupted copy
  }
}

/**
 * The fine-tuned copy of the raw bench database, made on first use: a template copy, the nightly command
 * (co-purchase, fine-tune, gate, activation) and a reindex into its own DATA_DIR, so the raw benches keep
 * their index. Takes minutes once (the fine-tune); throws when the raw database does not exist yet.
 */
export async function finetunedBenchData(adminUrl: string, fresh = false): Promise<BenchData> {
  const url = dbUrl(FINETUNED_DB);
  const env = { DATABASE_URL: url, DATA_DIR: FINETUNED_DIR };
  const data: BenchData = { db: FINETUNED_DB, url, env, label: 'finetuned' };
  if (!fresh && (await databaseExists(FINETUNED_DB)) && (await hasActiveModel(url))) {
    if (fs.existsSync(path.join(FINETUNED_DIR, 'index', 'CURRENT'))) return data;
  } else {
    if (!(await databaseExists(RAW_DB)))
      throw new Error(`run bench/api-load.ts once first: it creates ${RAW_DB}`);
    await query(adminUrl, `DROP DATABASE IF EXISTS ${FINETUNED_DB} WITH (FORCE)`);
    await query(adminUrl, `CREATE DATABASE ${FINETUNED_DB} TEMPLATE ${RAW_DB}`);
    fs.rmSync(FINETUNED_DIR, { recursive: true, force: true });
    fs.mkdirSync(FINETUNED_DIR, { recursive: true });
    process.stdout.write('running the nightly fine-tune once on a copy of the bench database…\n');
    const ft = await runCli(['finetune', '--json'], env);
    process.stdout.write(`fine-tuned in ${ft.seconds.toFixed(0)} s\n`);
    if (!(await hasActiveModel(url)))
      throw new Error(`the fine-tune activated no model on ${FINETUNED_DB}: ${ft.stdout.trim()}`);
  }
  const ix = await runCli(['reindex', '--json'], env);
  process.stdout.write(`indexed the fine-tuned vectors in ${ix.seconds.toFixed(0)} s\n`);
  return data;
}
