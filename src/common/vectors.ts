/** Small float32 vector helpers shared by the index, the recommendations and the encoder adapters. */

/**
 * Σ a[i]·b[i] in float64, added up strictly in index order. Unrolled by four (a personalised list takes
 * hundreds of 512-d dot products) but with a single accumulator, so the sum is the plain loop's to the bit.
 */
export function dot(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  let s = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s += a[i] * b[i];
    s += a[i + 1] * b[i + 1];
    s += a[i + 2] * b[i + 2];
    s += a[i + 3] * b[i + 3];
  }
  for (; i < n; i++) s += a[i] * b[i];
  return s;
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
