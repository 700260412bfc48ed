/**
 * Deterministic vectors and an exact (brute-force) k-NN for specs and benches. Kept free of jest so the benches
 * can import it; exact search is written independently of hnswlib so it can catch the library (or us) out.
 */
import type { IndexSpace } from '../vector-index.port';

import { mulberry32 as seededRandom } from '../../common/random';

/** The same seed gives the same stream everywhere (mulberry32). */
export { seededRandom };

export function gaussian(random: () => number): number {
  // Box-Muller; 1 - u keeps log() away from 0.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function normaliseRow(matrix: Float32Array, offset: number, dim: number): void {
  let sum = 0;
  for (let j = 0; j < dim; j++) sum += matrix[offset + j] * matrix[offset + j];
  const norm = Math.sqrt(sum) || 1;
  for (let j = 0; j < dim; j++) matrix[offset + j] /= norm;
}

/** n unit vectors drawn uniformly from the sphere, row-major. The hardest case for any ANN index. */
export function randomUnitMatrix(n: number, dim: number, random: () => number): Float32Array {
  const matrix = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) matrix[i * dim + j] = gaussian(random);
    normaliseRow(matrix, i * dim, dim);
  }
  return matrix;
}

/**
 * Unit vectors near a random `rank`-dimensional subspace plus isotropic noise: a stand-in for sentence
 * embeddings, whose intrinsic dimension is far below their nominal one. `basisSeed` fixes the subspace so
 * items and queries can be drawn from the same distribution with different streams.
 */
export function lowRankUnitMatrix(
  n: number,
  dim: number,
  rank: number,
  noise: number,
  random: () => number,
  basisSeed = 1,
): Float32Array {
  const basisRandom = seededRandom(basisSeed);
  const basis = new Float64Array(dim * rank);
  for (let i = 0; i < basis.length; i++) basis[i] = gaussian(basisRandom) / Math.sqrt(rank);
  const matrix = new Float32Array(n * dim);
  const z = new Float64Array(rank);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < rank; r++) z[r] = gaussian(random);
    for (let j = 0; j < dim; j++) {
      let x = 0;
      for (let r = 0; r < rank; r++) x += basis[j * rank + r] * z[r];
      matrix[i * dim + j] = x + noise * gaussian(random);
    }
    normaliseRow(matrix, i * dim, dim);
  }
  return matrix;
}

export function row(matrix: Float32Array, dim: number, i: number): Float32Array {
  return matrix.subarray(i * dim, (i + 1) * dim);
}

/** Similarity with the adapter's convention: higher is better; 'l2' is minus the squared distance. */
export function similarity(space: IndexSpace, a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  let l2 = 0;
  for (let j = 0; j < a.length; j++) {
    ab += a[j] * b[j];
    aa += a[j] * a[j];
    bb += b[j] * b[j];
    l2 += (a[j] - b[j]) ** 2;
  }
  if (space === 'l2') return -l2;
  if (space === 'cosine') return ab / Math.sqrt(aa * bb);
  return ab;
}

/** Exact top-k row indices of `matrix` by similarity to `query` ('ip' only needs a dot product — fast path). */
export function exactTopK(
  matrix: Float32Array,
  dim: number,
  query: ArrayLike<number>,
  k: number,
  space: IndexSpace,
  allow?: (i: number) => boolean,
): { index: number; score: number }[] {
  const n = matrix.length / dim;
  const best: { index: number; score: number }[] = [];
  let worst = -Infinity;
  for (let i = 0; i < n; i++) {
    if (allow && !allow(i)) continue;
    let score: number;
    if (space === 'ip') {
      score = 0;
      const o = i * dim;
      for (let j = 0; j < dim; j++) score += matrix[o + j] * query[j];
    } else {
      score = similarity(space, row(matrix, dim, i), query);
    }
    if (best.length < k || score > worst) {
      let pos = best.length;
      while (pos > 0 && best[pos - 1].score < score) pos--;
      best.splice(pos, 0, { index: i, score });
      if (best.length > k) best.pop();
      worst = best[best.length - 1].score;
    }
  }
  return best;
}
