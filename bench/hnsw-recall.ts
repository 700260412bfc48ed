/**
 * HNSW recall and latency against exact brute force.
 *
 *   npx ts-node --transpile-only bench/hnsw-recall.ts                       # 100k uniform 512-d unit vectors
 *   npx ts-node --transpile-only bench/hnsw-recall.ts --dist lowrank        # embedding-like synthetic data
 *   npx ts-node --transpile-only bench/hnsw-recall.ts --vectors items.f32   # real vectors (format: see
 *                                                       src/vector-index/testing/bench-support.ts)
 *
 * Options: --n 100000 --dim 512 --queries 500 --k 10 --space ip|cosine|l2 --m 16 --ef-construction 200
 *          --ef 100,200,400,600,800 (efSearch values swept over one build) --seed 1 --rank 64 --noise 0.3
 *          --keep-dir <dir> (save the index there and keep it, e.g. for bench/hnsw-filter.ts --index-dir)
 *          --index-dir <dir> (skip the build: load an index kept earlier from the same data options, e.g. to sweep
 *          more efSearch values)
 *
 * Prints progress on stderr, one human-readable summary line and then one JSON line on stdout. RSS after loading
 * is measured in a fresh child process, so the build's garbage does not count.
 */
import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseArgs } from 'util';

import { HnswVectorIndex } from '../src/vector-index/hnsw-vector-index.adapter';
import {
  Distribution,
  elapsedMs,
  holdOut,
  mb,
  percentile,
  readVectorFile,
  round,
  syntheticMatrix,
  syntheticSet,
  VectorSet,
} from '../src/vector-index/testing/bench-support';
import { exactTopK, row } from '../src/vector-index/testing/seeded-vectors';
import { IndexEntry, IndexSpace, VECTOR_INDEX_DEFAULTS } from '../src/vector-index/vector-index.port';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '512' },
    queries: { type: 'string', default: '500' },
    k: { type: 'string', default: '10' },
    space: { type: 'string', default: 'ip' },
    m: { type: 'string', default: String(VECTOR_INDEX_DEFAULTS.m) },
    'ef-construction': { type: 'string', default: String(VECTOR_INDEX_DEFAULTS.efConstruction) },
    ef: { type: 'string', default: '100,200,400,600,800' },
    dist: { type: 'string', default: 'uniform' },
    rank: { type: 'string', default: '64' },
    noise: { type: 'string', default: '0.3' },
    seed: { type: 'string', default: '1' },
    vectors: { type: 'string' },
    'keep-dir': { type: 'string' },
    'index-dir': { type: 'string' },
    'load-only': { type: 'string' },
  },
});

const int = (name: keyof typeof args): number => {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
};

/** Child mode: load a saved index in a clean process and report time and memory. */
async function loadOnly(dir: string): Promise<void> {
  const before = process.memoryUsage().rss;
  const start = process.hrtime.bigint();
  const index = await HnswVectorIndex.load(dir);
  const loadMs = elapsedMs(start);
  if (global.gc) global.gc();
  const usage = process.memoryUsage();
  process.stdout.write(
    JSON.stringify({
      loadMs,
      rssBeforeMb: mb(before),
      rssMb: mb(usage.rss),
      heapUsedMb: mb(usage.heapUsed),
      size: index.size,
    }) + '\n',
  );
}

async function main(): Promise<void> {
  if (args['load-only']) return loadOnly(args['load-only']);

  const space = args.space as IndexSpace;
  if (!['ip', 'cosine', 'l2'].includes(space)) throw new Error('--space must be ip, cosine or l2');
  const dist = args.dist as Distribution;
  if (!['uniform', 'lowrank'].includes(dist)) throw new Error('--dist must be uniform or lowrank');
  const k = int('k');
  const queryCount = int('queries');
  const efs = (args.ef ?? '').split(',').map((s) => Number(s));
  if (!efs.every((e) => Number.isInteger(e) && e > 0))
    throw new Error('--ef must be a list of positive integers');
  const seed = int('seed');

  let genStart = process.hrtime.bigint();
  let base: VectorSet;
  let queries: Float32Array;
  let source: string;
  if (args.vectors) {
    ({ base, queries } = holdOut(await readVectorFile(args.vectors), queryCount, seed));
    source = `file (${base.ids.length} items + ${queries.length / base.dimension} held-out queries)`;
  } else {
    const spec = {
      n: int('n'),
      dimension: int('dim'),
      distribution: dist,
      seed,
      rank: int('rank'),
      noise: Number(args.noise),
    };
    base = syntheticSet(spec);
    queries = syntheticMatrix(spec, queryCount, 1);
    source = dist;
  }
  const dim = base.dimension;
  const n = base.ids.length;
  const nq = queries.length / dim;
  process.stderr.write(
    `data ready: ${n} x ${dim} (${source}) in ${(elapsedMs(genStart) / 1000).toFixed(1)}s\n`,
  );

  const buildStart = process.hrtime.bigint();
  let buildSeconds: number | null = null;
  let index: HnswVectorIndex;
  if (args['index-dir']) {
    index = await HnswVectorIndex.load(args['index-dir'], { dimension: dim });
    if (index.size !== n || !base.ids.every((id) => index.has(id))) {
      throw new Error('--index-dir holds other items than the data options describe');
    }
  } else {
    const entries: IndexEntry[] = base.ids.map((id, i) => ({ id, vector: row(base.matrix, dim, i) }));
    let lastReported = 0;
    index = await HnswVectorIndex.build(
      entries,
      {
        space,
        dimension: dim,
        m: int('m'),
        efConstruction: int('ef-construction'),
        encoderId: 'bench',
        modelVersion: 'bench',
      },
      (done, total) => {
        if (done === total || done - lastReported >= total / 10) {
          lastReported = done;
          process.stderr.write(`  build ${done}/${total} (${(elapsedMs(buildStart) / 1000).toFixed(1)}s)\n`);
        }
      },
    );
    buildSeconds = elapsedMs(buildStart) / 1000;
  }

  genStart = process.hrtime.bigint();
  const truth: Set<string>[] = [];
  for (let q = 0; q < nq; q++) {
    truth.push(
      new Set(exactTopK(base.matrix, dim, row(queries, dim, q), k, space).map((e) => base.ids[e.index])),
    );
  }
  const truthSeconds = elapsedMs(genStart) / 1000;
  process.stderr.write(`exact top-${k} for ${nq} queries in ${truthSeconds.toFixed(1)}s\n`);

  const results = efs.map((ef) => {
    index.setEfSearch(ef);
    for (let q = 0; q < Math.min(nq, 50); q++) index.search(row(queries, dim, q), { k }); // warm-up
    const latencies: number[] = [];
    let found = 0;
    for (let q = 0; q < nq; q++) {
      const start = process.hrtime.bigint();
      const hits = index.search(row(queries, dim, q), { k });
      latencies.push(elapsedMs(start));
      for (const hit of hits) if (truth[q].has(hit.id)) found++;
    }
    latencies.sort((a, b) => a - b);
    const result = {
      efSearch: ef,
      recall: round(found / (nq * k), 4),
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      meanMs: round(latencies.reduce((a, b) => a + b, 0) / nq),
    };
    process.stderr.write(`  ${JSON.stringify(result)}\n`);
    return result;
  });

  const dir =
    args['index-dir'] ?? args['keep-dir'] ?? (await fs.mkdtemp(join(tmpdir(), 'aisle-hnsw-recall-')));
  let saveSeconds: number | null = null;
  if (!args['index-dir']) {
    index.setEfSearch(VECTOR_INDEX_DEFAULTS.efSearch);
    const saveStart = process.hrtime.bigint();
    await index.save(dir);
    saveSeconds = elapsedMs(saveStart) / 1000;
  }
  const indexBytes = (await fs.stat(join(dir, 'index.bin'))).size;
  const buildRssMb = mb(process.memoryUsage().rss);

  const child = spawnSync(
    process.execPath,
    ['--expose-gc', '-r', require.resolve('ts-node/register/transpile-only'), __filename, '--load-only', dir],
    { encoding: 'utf8', cwd: process.cwd() },
  );
  if (child.status !== 0) throw new Error(`load child failed: ${child.stderr}`);
  const load = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as {
    loadMs: number;
    rssMb: number;
    rssBeforeMb: number;
  };
  if (!args['keep-dir'] && !args['index-dir']) await fs.rm(dir, { recursive: true, force: true });

  const summary = {
    bench: 'hnsw-recall',
    source,
    n,
    dimension: dim,
    queries: nq,
    k,
    space,
    m: index.info.m,
    efConstruction: index.info.efConstruction,
    buildSeconds: buildSeconds === null ? null : round(buildSeconds, 1),
    truthSeconds: round(truthSeconds, 1),
    results,
    indexMb: mb(indexBytes),
    saveSeconds: saveSeconds === null ? null : round(saveSeconds, 2),
    loadSeconds: round(load.loadMs / 1000, 2),
    rssAfterLoadMb: load.rssMb,
    rssBeforeLoadMb: load.rssBeforeMb,
    rssBuildProcessMb: buildRssMb,
    node: process.version,
  };
  const perEf = results
    .map((r) => `ef=${r.efSearch}: recall@${k} ${r.recall} p50 ${r.p50Ms}ms p99 ${r.p99Ms}ms`)
    .join('; ');
  process.stdout.write(
    `hnsw-recall ${n}x${dim} ${source} ${space} M=${summary.m} efC=${summary.efConstruction}: build ${summary.buildSeconds ?? '(loaded)'}s; ${perEf}; ` +
      `index ${summary.indexMb}MB, save ${summary.saveSeconds ?? '-'}s, load ${summary.loadSeconds}s, RSS after load ${summary.rssAfterLoadMb}MB\n`,
  );
  process.stdout.write(JSON.stringify(summary) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
