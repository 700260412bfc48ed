/** Small float32 vector helpers shared by the index, the recommendations and the encoder adapters. */

/**
 * Σ a[i]·b[i] in float64, in four interleaved partial sums added as (s0 + s1) + (s2 + s3): a list takes
 * hundreds of dot products, and with one running sum every add waits on the one before. The sum can differ
 * from a plain loop's in the last bits; every caller (serving, the gate, evaluation) uses this one, so they
 * agree with each other. The two-at-once version below adds in the same order.
 */
export function dot(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; i++) s0 += a[i] * b[i];
  return s0 + s1 + (s2 + s3);
}

/**
 * dot(a, v) and dot(b, v) in one pass over `v`, each added in dot's order (so each equals dot's result): a
 * session list (session-ranking.ts) takes two cosines for each of its hundreds of candidates, and reading `v`
 * once serves both. They are written to `outA[i]` and `outB[i]`: returned in an object, both were boxed on the
 * heap for every candidate.
 */
export function dot2Into(
  a: Float32Array,
  b: Float32Array,
  v: Float32Array,
  outA: Float64Array,
  outB: Float64Array,
  i: number,
): void {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  let b3 = 0;
  const n = v.length;
  let j = 0;
  for (; j + 3 < n; j += 4) {
    const x0 = v[j];
    const x1 = v[j + 1];
    const x2 = v[j + 2];
    const x3 = v[j + 3];
    a0 += a[j] * x0;
    a1 += a[j + 1] * x1;
    a2 += a[j + 2] * x2;
    a3 += a[j + 3] * x3;
    b0 += b[j] * x0;
    b1 += b[j + 1] * x1;
    b2 += b[j + 2] * x2;
    b3 += b[j + 3] * x3;
  }
  for (; j < n; j++) {
    a0 += a[j] * v[j];
    b0 += b[j] * v[j];
  }
  outA[i] = a0 + a1 + (a2 + a3);
  outB[i] = b0 + b1 + (b2 + b3);
}

/** Unit-length copies of the `dim`-long rows of a row-major matrix (zero rows stay zero). */
export function normalizeRows(v: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < v.length; r += dim) out.set(normalize(v.subarray(r, r + dim)), r);
  return out;
}

/** A unit-length copy (the zero vector stays zero). */
export function normalize(v: Float32Array): Float32Array {
  const n = Math.sqrt(dot(v, v)) || 1;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] / n;
  return out;
}
