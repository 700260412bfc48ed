/**
 * Filtered search: the library's filter callback vs over-fetching, at several selectivities — latency, result
 * count, recall against exact filtered search, filter calls per query.
 *
 *   npx ts-node --transpile-only bench/hnsw-filter.ts                          # builds 100k uniform 512-d
 *   npx ts-node --transpile-only bench/hnsw-filter.ts --index-dir <dir>        # reuses an index saved by
 *                                                    bench/hnsw-recall.ts --keep-dir <dir>
 * Options: --n 100000 --dim 512 --dist uniform|lowrank --seed 1 --queries 200 --k 10
 *          --selectivity 0.5,0.1,0.01 --strategies callback,overfetch --ef <efSearch override>
 *
 * The filter is a Set lookup on the item id (like an in-stock or category set), passing a seeded random subset.
 * Prints progress on stderr, one human-readable summary line and then one JSON line on stdout.
 */
import { parseArgs } from 'util';

import { HnswVectorIndex } from '../src/vector-index/hnsw-vector-index.adapter';
import {
  Distribution,
  elapsedMs,
  percentile,
  round,
  syntheticMatrix,
  syntheticSet,
} from '../src/vector-index/testing/bench-support';
import { exactTopK, row, seededRandom } from '../src/vector-index/testing/seeded-vectors';
import { FilterStrategy, IndexEntry } from '../src/vector-index/vector-index.port';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '512' },
    dist: { type: 'string', default: 'uniform' },
    seed: { type: 'string', default: '1' },
    queries: { type: 'string', default: '200' },
    k: { type: 'string', default: '10' },
    selectivity: { type: 'string', default: '0.5,0.1,0.01' },
    strategies: { type: 'string', default: 'callback,overfetch' },
    ef: { type: 'string' },
    'index-dir': { type: 'string' },
  },
});

const int = (name: 'n' | 'dim' | 'seed' | 'queries' | 'k' | 'ef'): number => {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
};

async function main(): Promise<void> {
  const k = int('k');
  const seed = int('seed');
  const selectivities = (args.selectivity ?? '').split(',').map(Number);
  if (!selectivities.every((s) => s > 0 && s <= 1))
    throw new Error('--selectivity must be fractions in (0, 1]');
  const strategies = (args.strategies ?? '').split(',') as FilterStrategy[];
  if (!strategies.every((s) => ['callback', 'overfetch'].includes(s))) {
    throw new Error('--strategies: callback, overfetch');
  }

  // Index plus the vectors it holds (exact filtered search needs them).
  let index: HnswVectorIndex;
  let ids: string[];
  let matrix: Float32Array;
  let source: string;
  const start = process.hrtime.bigint();
  if (args['index-dir']) {
    index = await HnswVectorIndex.load(args['index-dir']);
    ids = [...index.ids()];
    matrix = new Float32Array(ids.length * index.info.dimension);
    ids.forEach((id, i) => matrix.set(index.vectorOf(id) ?? [], i * index.info.dimension));
    source = `loaded ${args['index-dir']}`;
  } else {
    const dist = args.dist as Distribution;
    const set = syntheticSet({ n: int('n'), dimension: int('dim'), distribution: dist, seed });
    ids = set.ids;
    matrix = set.matrix;
    const entries: IndexEntry[] = ids.map((id, i) => ({ id, vector: row(matrix, set.dimension, i) }));
    index = await HnswVectorIndex.build(entries, {
      space: 'ip',
      dimension: set.dimension,
      encoderId: 'bench',
      modelVersion: 'bench',
    });
    source = `built ${dist}`;
  }
  if (args.ef) index.setEfSearch(int('ef'));
  const { dimension: dim, space, efSearch } = index.info;
  process.stderr.write(
    `index ready (${source}, ${ids.length} x ${dim}) in ${(elapsedMs(start) / 1000).toFixed(1)}s\n`,
  );

  const nq = int('queries');
  // Fresh queries from the same kind of data: for a loaded index, perturbed copies of random items.
  const queries = args['index-dir']
    ? perturbedRows(matrix, dim, nq, seed)
    : syntheticMatrix({ n: nq, dimension: dim, distribution: args.dist as Distribution, seed }, nq, 2);

  const baseline = timeQueries(nq, (q) => index.search(row(queries, dim, q), { k }).length);

  const results: FilterResult[] = [];
  for (const selectivity of selectivities) {
    const random = seededRandom(seed * 31 + Math.round(selectivity * 1e6));
    const passing = new Set<string>();
    const passRow = new Uint8Array(ids.length);
    ids.forEach((id, i) => {
      if (random() < selectivity) {
        passing.add(id);
        passRow[i] = 1;
      }
    });
    const truth: Set<string>[] = [];
    for (let q = 0; q < nq; q++) {
      const exact = exactTopK(matrix, dim, row(queries, dim, q), k, space, (i) => passRow[i] === 1);
      truth.push(new Set(exact.map((e) => ids[e.index])));
    }

    for (const strategy of strategies) {
      let calls = 0;
      const filter = (id: string): boolean => {
        calls++;
        return passing.has(id);
      };
      let found = 0;
      let minCount = Infinity;
      let totalCount = 0;
      let allPass = true;
      const timing = timeQueries(nq, (q) => {
        const hits = index.search(row(queries, dim, q), { k, filter, filterStrategy: strategy });
        return hits.length;
      });
      // Correctness pass, untimed (the timed pass above includes warm-up calls in `calls`).
      calls = 0;
      for (let q = 0; q < nq; q++) {
        const hits = index.search(row(queries, dim, q), { k, filter, filterStrategy: strategy });
        minCount = Math.min(minCount, hits.length);
        totalCount += hits.length;
        for (const hit of hits) {
          if (truth[q].has(hit.id)) found++;
          if (!passing.has(hit.id)) allPass = false;
        }
      }
      const result: FilterResult = {
        selectivity,
        strategy,
        p50Ms: timing.p50Ms,
        p99Ms: timing.p99Ms,
        meanMs: timing.meanMs,
        meanResults: round(totalCount / nq, 2),
        minResults: minCount,
        allPass,
        recall: round(found / (nq * k), 4),
        filterCallsPerQuery: Math.round(calls / nq),
      };
      process.stderr.write(`  ${JSON.stringify(result)}\n`);
      results.push(result);
    }
  }

  const summary = {
    bench: 'hnsw-filter',
    source,
    n: ids.length,
    dimension: dim,
    space,
    efSearch,
    k,
    queries: nq,
    unfiltered: baseline,
    results,
    node: process.version,
  };
  const line = selectivities
    .map((s) => {
      const parts = results
        .filter((r) => r.selectivity === s)
        .map((r) => `${r.strategy} p50 ${r.p50Ms}ms p99 ${r.p99Ms}ms n=${r.meanResults} recall ${r.recall}`);
      return `${s * 100}%: ${parts.join(' | ')}`;
    })
    .join('; ');
  process.stdout.write(
    `hnsw-filter ${ids.length}x${dim} ef=${efSearch} k=${k} unfiltered p50 ${baseline.p50Ms}ms; ${line}\n`,
  );
  process.stdout.write(JSON.stringify(summary) + '\n');
}

interface FilterResult {
  selectivity: number;
  strategy: FilterStrategy;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  meanResults: number;
  minResults: number;
  allPass: boolean;
  recall: number;
  filterCallsPerQuery: number;
}

function timeQueries(
  nq: number,
  run: (q: number) => number,
): { p50Ms: number; p99Ms: number; meanMs: number } {
  for (let q = 0; q < Math.min(20, nq); q++) run(q); // warm-up
  const latencies: number[] = [];
  for (let q = 0; q < nq; q++) {
    const start = process.hrtime.bigint();
    run(q);
    latencies.push(elapsedMs(start));
  }
  latencies.sort((a, b) => a - b);
  return {
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    meanMs: round(latencies.reduce((a, b) => a + b, 0) / nq),
  };
}

function perturbedRows(matrix: Float32Array, dim: number, count: number, seed: number): Float32Array {
  const random = seededRandom(seed * 13 + 5);
  const n = matrix.length / dim;
  const out = new Float32Array(count * dim);
  for (let q = 0; q < count; q++) {
    const source = Math.floor(random() * n);
    for (let j = 0; j < dim; j++) out[q * dim + j] = matrix[source * dim + j] + (random() - 0.5) * 0.1;
  }
  return out;
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
