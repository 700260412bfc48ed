/**
 * Seeded PRNG for reproducible training: the same seed must give bit-identical weights, so nothing in
 * this folder may use Math.random().
 */

export { mulberry32 } from '../../common/random';

/** In-place Fisher–Yates shuffle driven by `rand`. */
export function shuffleInPlace(values: Int32Array, rand: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = values[i];
    values[i] = values[j];
    values[j] = tmp;
  }
}

/** Standard normal deviate via Box–Muller (one of the pair is discarded: simplicity over speed). */
export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
