import { createHash } from 'node:crypto';

/**
 * A point in [0, 1) for (experiment, unit): the first 52 bits of SHA-256 over both ids. Deterministic across
 * processes and restarts (nothing is stored per shopper), independent between experiments (the experiment id
 * is hashed in), and uniform enough that a split follows its weights.
 */
export function hashPoint(experimentId: string, unitId: string): number {
  const digest = createHash('sha256').update(experimentId).update('\u0000').update(unitId).digest();
  // 52 bits fit a double's mantissa exactly: 4 bytes high, 20 bits low.
  const high = digest.readUInt32BE(0);
  const low = digest.readUInt32BE(4) >>> 12;
  return (high * 2 ** 20 + low) / 2 ** 52;
}

/**
 * The variant (its index) a unit sees in an A/B experiment: the hash point falls into one of the slices
 * [0, w₀), [w₀, w₀ + w₁), … of the normalised weights. The same ids always land in the same slice.
 */
export function assignVariant(experimentId: string, unitId: string, weights: readonly number[]): number {
  const total = weights.reduce((a, w) => a + w, 0);
  const point = hashPoint(experimentId, unitId) * total;
  let edge = 0;
  for (let i = 0; i < weights.length; i++) {
    edge += weights[i];
    if (point < edge) return i;
  }
  return weights.length - 1;
}
