/**
 * Embedding throughput: titles per second through EncoderPool (batches of 64) over the distinct Online Retail
 * descriptions, with pool sizes 1 and 2. Prints one JSON line.
 *
 *   npx ts-node --transpile-only bench/embedding-throughput.ts [--pool 1,2] [--batch 64] [--limit N]
 *
 * Environment: AISLE_DATA_DIR (default .data) holds the prepared model; ONLINE_RETAIL_CSV overrides the data
 * file (default data/online-retail/online_retail.csv.gz). Run on an otherwise idle machine: the encoder is
 * CPU-bound and shares cores with everything else.
 */
import { createReadStream } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { EncoderPool } from '../src/embeddings/encoder-pool';
import { prepareDefaultModel } from '../src/embeddings/model/prepare-default-model';

interface Args {
  pools: number[];
  batch: number;
  limit: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { pools: [1, 2], batch: 64, limit: Infinity };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--pool') args.pools = value.split(',').map(Number);
    else if (flag === '--batch') args.batch = Number(value);
    else if (flag === '--limit') args.limit = Number(value);
    else throw new Error(`unknown argument ${flag}`);
  }
  return args;
}

async function distinctDescriptions(file: string): Promise<string[]> {
  const seen = new Set<string>();
  const records = createReadStream(file)
    .pipe(createGunzip())
    .pipe(parse({ columns: true }));
  for await (const record of records as AsyncIterable<{ Description?: string }>) {
    const description = record.Description;
    if (description) seen.add(description);
  }
  return [...seen];
}

/**
 * CPU time (seconds) used so far by a process and all its threads, from /proc (Linux; null elsewhere).
 * On a shared machine titles per CPU-second says what the encoder costs, while titles per second also
 * measures the neighbours.
 */
async function cpuSeconds(pid: number): Promise<number | null> {
  try {
    const tasks = await readdir(`/proc/${pid}/task`);
    let nanos = 0;
    for (const task of tasks) {
      const [onCpu] = (await readFile(`/proc/${pid}/task/${task}/schedstat`, 'utf8')).split(' ');
      nanos += Number(onCpu);
    }
    return nanos / 1e9;
  } catch {
    return null;
  }
}

async function workersCpuSeconds(pids: number[]): Promise<number | null> {
  const each = await Promise.all(pids.map(cpuSeconds));
  return each.some((s) => s === null) ? null : each.reduce<number>((a, b) => a + (b ?? 0), 0);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // Recorded before our own work starts: anything above ~0.5 means the numbers below are shared.
  const loadAtStart = loadavg()[0];
  const dataDir = path.resolve(process.env.AISLE_DATA_DIR ?? '.data');
  const csv = path.resolve(process.env.ONLINE_RETAIL_CSV ?? 'data/online-retail/online_retail.csv.gz');

  const prepareStarted = Date.now();
  const modelDir = await prepareDefaultModel(dataDir);
  const prepareMs = Date.now() - prepareStarted;
  const titles = (await distinctDescriptions(csv)).slice(0, args.limit);

  const runs: {
    poolSize: number;
    titlesPerSecond: number;
    seconds: number;
    startupSeconds: number;
    workerCpuSeconds: number | null;
    titlesPerCpuSecond: number | null;
  }[] = [];
  for (const poolSize of args.pools) {
    const startupStarted = Date.now();
    const pool = await EncoderPool.start({ model: modelDir, dataDir, poolSize, batchSize: args.batch });
    const startupSeconds = (Date.now() - startupStarted) / 1000;
    try {
      await pool.encode(titles.slice(0, args.batch * poolSize)); // warm-up: first runs allocate arenas
      const cpuBefore = await workersCpuSeconds(pool.workerPids);
      const started = process.hrtime.bigint();
      const vectors = await pool.encode(titles);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const cpuAfter = await workersCpuSeconds(pool.workerPids);
      if (vectors.length !== titles.length) throw new Error('lost vectors');
      const workerCpuSeconds = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
      runs.push({
        poolSize,
        titlesPerSecond: Math.round(titles.length / seconds),
        seconds,
        startupSeconds,
        workerCpuSeconds,
        titlesPerCpuSecond: workerCpuSeconds ? Math.round(titles.length / workerCpuSeconds) : null,
      });
    } finally {
      await pool.close();
    }
  }

  console.log(
    JSON.stringify({
      bench: 'embedding-throughput',
      model: path.basename(modelDir),
      titles: titles.length,
      batchSize: args.batch,
      cpus: cpus().length,
      loadAverage1mAtStart: loadAtStart,
      prepareModelMs: prepareMs,
      runs,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
