import { gaussian, mulberry32 } from './random';

/**
 * Principal component analysis in plain TypeScript, deterministic for a seed.
 *
 * Why not a library: the nightly job recomputes the basis on the current catalogue, so it has to run
 * in-process, and the result feeds a model whose weights must be reproducible bit for bit.
 *
 * Method: covariance matrix (inputDim × inputDim, float64), then block subspace iteration with a few
 * oversampling columns (randomised start from the seed), then a Rayleigh–Ritz step (Jacobi on the small
 * projected matrix) so the returned vectors are ordered, orthonormal eigenvector estimates rather than just
 * a basis of the subspace. For 3,665 × 512 → 128 this takes a few seconds.
 */
export interface PcaBasis {
  inputDim: number;
  dim: number;
  /** Per-feature mean subtracted before projecting (length inputDim). */
  mean: Float32Array;
  /** Row-major inputDim × dim: column j is the j-th principal axis (unit length, sign fixed). */
  components: Float32Array;
  /** Variance along each axis, descending (length dim). */
  explainedVariance: Float32Array;
}

export interface PcaOptions {
  seed?: number;
  /** Upper bound on subspace iterations; convergence of the Ritz values usually stops it earlier. */
  maxIterations?: number;
  /** Relative change of the Ritz values below which the iteration stops. */
  tolerance?: number;
  /** Extra columns carried along to speed up convergence of the wanted ones. */
  oversample?: number;
}

/** Fits a PCA basis to `rows` (row-major, n × inputDim). */
export function fitPca(
  rows: Float32Array,
  inputDim: number,
  dim: number,
  options: PcaOptions = {},
): PcaBasis {
  const n = rows.length / inputDim;
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`fitPca: ${rows.length} values is not a multiple of ${inputDim}`);
  if (dim < 1 || dim > inputDim) throw new Error(`fitPca: dim ${dim} must be in [1, ${inputDim}]`);
  const seed = options.seed ?? 42;
  const maxIterations = options.maxIterations ?? 60;
  const tolerance = options.tolerance ?? 1e-7;
  const p = Math.min(inputDim, dim + (options.oversample ?? 16));

  const mean = new Float64Array(inputDim);
  for (let i = 0; i < n; i++) {
    const o = i * inputDim;
    for (let a = 0; a < inputDim; a++) mean[a] += rows[o + a];
  }
  for (let a = 0; a < inputDim; a++) mean[a] /= n;

  // Covariance, upper triangle accumulated then mirrored: n·D²/2 multiply-adds.
  const cov = new Float64Array(inputDim * inputDim);
  const centred = new Float64Array(inputDim);
  for (let i = 0; i < n; i++) {
    const o = i * inputDim;
    for (let a = 0; a < inputDim; a++) centred[a] = rows[o + a] - mean[a];
    for (let a = 0; a < inputDim; a++) {
      const ca = centred[a];
      if (ca === 0) continue;
      const ro = a * inputDim;
      for (let b = a; b < inputDim; b++) cov[ro + b] += ca * centred[b];
    }
  }
  const denom = Math.max(1, n - 1);
  for (let a = 0; a < inputDim; a++) {
    for (let b = a; b < inputDim; b++) {
      const v = cov[a * inputDim + b] / denom;
      cov[a * inputDim + b] = v;
      cov[b * inputDim + a] = v;
    }
  }

  const { vectors, values } = topEigenpairs(cov, inputDim, dim, p, seed, maxIterations, tolerance);
  return {
    inputDim,
    dim,
    mean: Float32Array.from(mean),
    components: Float32Array.from(vectors),
    explainedVariance: Float32Array.from(values),
  };
}

/** Projects one row: out = (x − mean) · components. */
export function pcaTransform(
  basis: PcaBasis,
  x: Float32Array,
  out = new Float32Array(basis.dim),
): Float32Array {
  const { inputDim, dim, mean, components } = basis;
  const acc = new Float64Array(dim);
  for (let a = 0; a < inputDim; a++) {
    const c = x[a] - mean[a];
    if (c === 0) continue;
    const o = a * dim;
    for (let j = 0; j < dim; j++) acc[j] += c * components[o + j];
  }
  for (let j = 0; j < dim; j++) out[j] = acc[j];
  return out;
}

/**
 * Top-`k` eigenpairs of a symmetric positive semi-definite matrix `m` (size × size), via subspace
 * iteration on `p ≥ k` columns followed by Rayleigh–Ritz. Returns vectors row-major size × k.
 */
export function topEigenpairs(
  m: Float64Array,
  size: number,
  k: number,
  p: number,
  seed: number,
  maxIterations: number,
  tolerance: number,
): { vectors: Float64Array; values: Float64Array } {
  const rand = mulberry32(seed);
  // Column-major blocks (p columns of length `size`) keep the Gram–Schmidt inner loops contiguous.
  let q = new Float64Array(p * size);
  for (let i = 0; i < q.length; i++) q[i] = gaussian(rand);
  orthonormaliseColumns(q, size, p);
  let z = new Float64Array(p * size);
  let previous = new Float64Array(p).fill(Number.NaN);
  const ritz = new Float64Array(p);
  for (let iter = 0; iter < maxIterations; iter++) {
    multiplySymmetric(m, size, q, p, z);
    let change = 0;
    for (let c = 0; c < p; c++) {
      let s = 0;
      const o = c * size;
      for (let a = 0; a < size; a++) s += q[o + a] * z[o + a];
      ritz[c] = s;
    }
    for (let c = 0; c < k; c++) {
      const rel = Math.abs(ritz[c] - previous[c]) / Math.max(Math.abs(ritz[c]), 1e-30);
      change = Number.isNaN(rel) ? Infinity : Math.max(change, rel);
    }
    previous = Float64Array.from(ritz);
    const swap = q;
    q = z;
    z = swap;
    orthonormaliseColumns(q, size, p);
    if (change < tolerance) break;
  }

  // Rayleigh–Ritz: H = Qᵀ M Q (p × p), eigen-decompose, rotate Q.
  multiplySymmetric(m, size, q, p, z);
  const h = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = a; b < p; b++) {
      let s = 0;
      const oa = a * size;
      const ob = b * size;
      for (let i = 0; i < size; i++) s += q[oa + i] * z[ob + i];
      h[a * p + b] = s;
      h[b * p + a] = s;
    }
  }
  const { values: hv, vectors: hV } = jacobiEigen(h, p);
  const order = Array.from({ length: p }, (_, i) => i).sort((a, b) => hv[b] - hv[a] || a - b);
  const vectors = new Float64Array(size * k);
  const values = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const col = order[j];
    values[j] = Math.max(0, hv[col]);
    // vector = Σ_c Q[:, c] · hV[c, col]
    const v = new Float64Array(size);
    for (let c = 0; c < p; c++) {
      const coef = hV[c * p + col];
      if (coef === 0) continue;
      const o = c * size;
      for (let i = 0; i < size; i++) v[i] += coef * q[o + i];
    }
    // Sign convention: the largest-magnitude entry is positive, so bases are comparable across runs.
    let best = 0;
    for (let i = 1; i < size; i++) if (Math.abs(v[i]) > Math.abs(v[best])) best = i;
    const sign = v[best] < 0 ? -1 : 1;
    for (let i = 0; i < size; i++) vectors[i * k + j] = sign * v[i];
  }
  return { vectors, values };
}

/** out[:, c] = M · q[:, c] for column-major q (p columns), M symmetric row-major. */
function multiplySymmetric(
  m: Float64Array,
  size: number,
  q: Float64Array,
  p: number,
  out: Float64Array,
): void {
  out.fill(0);
  // Row a of M times every column: M symmetric, so row a == column a and reads stay contiguous.
  for (let c = 0; c < p; c++) {
    const o = c * size;
    for (let a = 0; a < size; a++) {
      const ro = a * size;
      let s = 0;
      for (let b = 0; b < size; b++) s += m[ro + b] * q[o + b];
      out[o + a] = s;
    }
  }
}

/** Modified Gram–Schmidt on the columns of a column-major block; degenerate columns are re-seeded. */
function orthonormaliseColumns(q: Float64Array, size: number, p: number): void {
  for (let c = 0; c < p; c++) {
    const oc = c * size;
    for (let pass = 0; pass < 2; pass++) {
      // Two passes ("twice is enough") keep orthogonality at float64 precision.
      for (let d = 0; d < c; d++) {
        const od = d * size;
        let s = 0;
        for (let i = 0; i < size; i++) s += q[oc + i] * q[od + i];
        for (let i = 0; i < size; i++) q[oc + i] -= s * q[od + i];
      }
    }
    let norm = 0;
    for (let i = 0; i < size; i++) norm += q[oc + i] * q[oc + i];
    norm = Math.sqrt(norm);
    if (norm < 1e-300) {
      // Rank-deficient input (e.g. fewer distinct rows than columns): any unit vector orthogonal to the
      // previous ones will do; the corresponding eigenvalue is zero.
      q.fill(0, oc, oc + size);
      q[oc + (c % size)] = 1;
      for (let d = 0; d < c; d++) {
        const od = d * size;
        let s = 0;
        for (let i = 0; i < size; i++) s += q[oc + i] * q[od + i];
        for (let i = 0; i < size; i++) q[oc + i] -= s * q[od + i];
      }
      norm = 0;
      for (let i = 0; i < size; i++) norm += q[oc + i] * q[oc + i];
      norm = Math.sqrt(norm) || 1;
    }
    for (let i = 0; i < size; i++) q[oc + i] /= norm;
  }
}

/**
 * Cyclic Jacobi eigen-decomposition of a small symmetric matrix (row-major n × n, not modified).
 * Returns eigenvalues and eigenvectors as columns of a row-major n × n matrix.
 */
export function jacobiEigen(input: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(input);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i] * a[i * n + i];
      for (let j = i + 1; j < n; j++) off += a[i * n + j] * a[i * n + j];
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return { values, vectors: v };
}
