/**
 * Shared by bench/hnsw-recall.ts and bench/hnsw-filter.ts: data sets (synthetic or from a file) and small
 * statistics helpers. Not used by the application.
 *
 * Vector file format (for `--vectors <file>`), chosen so a 100k x 512 export is one sequential write:
 *   <file>       raw float32, little-endian, row-major: n rows of `dimension` values, no header
 *   <file>.json  { "dimension": 512, "ids": ["item-id-0", "item-id-1", ...] }   (ids.length = n)
 */
import { promises as fs } from 'fs';
import { endianness } from 'os';

import { lowRankUnitMatrix, randomUnitMatrix, seededRandom } from './seeded-vectors';

export type Distribution = 'uniform' | 'lowrank';

export interface VectorSet {
  dimension: number;
  ids: string[];
  /** Row-major, ids.length rows. */
  matrix: Float32Array;
}

export interface SyntheticSpec {
  n: number;
  dimension: number;
  distribution: Distribution;
  seed: number;
  /** lowrank only: intrinsic dimension and per-component noise. */
  rank?: number;
  noise?: number;
}

export function syntheticMatrix(spec: SyntheticSpec, n = spec.n, stream = 0): Float32Array {
  const random = seededRandom(spec.seed * 7919 + stream);
  return spec.distribution === 'uniform'
    ? randomUnitMatrix(n, spec.dimension, random)
    : lowRankUnitMatrix(n, spec.dimension, spec.rank ?? 64, spec.noise ?? 0.3, random, spec.seed);
}

export function syntheticSet(spec: SyntheticSpec): VectorSet {
  const ids = Array.from({ length: spec.n }, (_, i) => `item-${i}`);
  return { dimension: spec.dimension, ids, matrix: syntheticMatrix(spec) };
}

export async function readVectorFile(path: string): Promise<VectorSet> {
  if (endianness() !== 'LE') throw new Error('vector files are little-endian; this machine is not');
  const meta = JSON.parse(await fs.readFile(`${path}.json`, 'utf8')) as {
    dimension?: unknown;
    ids?: unknown;
  };
  const dimension = meta.dimension;
  const ids = meta.ids;
  if (typeof dimension !== 'number' || !Number.isInteger(dimension) || dimension <= 0) {
    throw new Error(`${path}.json: "dimension" must be a positive integer`);
  }
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
    throw new Error(`${path}.json: "ids" must be an array of strings`);
  }
  const bytes = await fs.readFile(path);
  if (bytes.length !== ids.length * dimension * 4) {
    throw new Error(`${path}: ${bytes.length} bytes, expected ${ids.length} x ${dimension} float32`);
  }
  // Copy: a Buffer's byteOffset need not be 4-aligned.
  const matrix = new Float32Array(ids.length * dimension);
  new Uint8Array(matrix.buffer).set(bytes);
  return { dimension, ids, matrix };
}

/** Splits off `count` rows (seeded choice) as held-out queries, so no query is its own nearest neighbour. */
export function holdOut(
  set: VectorSet,
  count: number,
  seed: number,
): { base: VectorSet; queries: Float32Array } {
  const random = seededRandom(seed);
  const n = set.ids.length;
  const picked = new Set<number>();
  while (picked.size < Math.min(count, n - 1)) picked.add(Math.floor(random() * n));
  const dim = set.dimension;
  const queries = new Float32Array(picked.size * dim);
  const base = new Float32Array((n - picked.size) * dim);
  const ids: string[] = [];
  let q = 0;
  for (let i = 0; i < n; i++) {
    const source = set.matrix.subarray(i * dim, (i + 1) * dim);
    if (picked.has(i)) queries.set(source, q++ * dim);
    else {
      base.set(source, ids.length * dim);
      ids.push(set.ids[i]);
    }
  }
  return { base: { dimension: dim, ids, matrix: base }, queries };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function mb(bytes: number): number {
  return round(bytes / (1024 * 1024), 1);
}

export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}
