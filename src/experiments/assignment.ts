import { hashPoint } from '../common/random';

// The experiments' split point: an experiment's id is the salt.
export { hashPoint };

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
