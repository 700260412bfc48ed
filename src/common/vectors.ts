/** Small float32 vector helpers shared by the index, the recommendations and the encoder adapters. */

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
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
