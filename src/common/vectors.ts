/** Small float32 vector helpers shared by the index, the recommendations and the encoder adapters. */

/**
 * Σ a[i]·b[i] in float64, in four interleaved partial sums added as (s0 + s1) + (s2 + s3): a list takes
 * hundreds of dot products, and with one running sum every add waits on the one before. The sum can differ
 * from a plain loop's in the last bits; every caller (serving, the gate, evaluation) uses this one, so they
 * agree with each other. Session lists' two-at-once version (session-ranking.ts dot2) adds in the same order.
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
