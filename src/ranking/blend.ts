import { storedWeights } from './linear-blend';

/**
 * Weights of the score blend for personalised lists:
 *   score(i) = cos(profile, i)·wCos + log(1 + buyers(i))·wPop + log(1 + recent buyers(i))·wTrend
 *            + Σ_j∈history sim(i, j)·wKnn + log(1 + own purchases of i)·recency·wRepeat
 *            + [i bought before]·reorderRate(i)·wReorder + [i a new arrival]·wNew
 * (recent buyers: distinct buyers in the last TRENDING_DAYS — what is selling now, e.g. a season starting;
 * reorderRate: the share of the item's buyers who bought it more than once — consumables vs one-offs)
 * Defaults were chosen on a validation month (README: "Tuning the blend"), never on the test period.
 */
export interface BlendWeights {
  cos: number;
  pop: number;
  trend: number;
  knn: number;
  repeat: number;
  reorder: number;
  /**
   * Pseudo-popularity for new arrivals (unsold, on sale for at most NEW_ARRIVAL_DAYS), so the text alone can
   * surface them (cold start); dead stock (unsold for longer) gets none.
   */
  newItem: number;
}

export const DEFAULT_BLEND: BlendWeights = {
  cos: 4,
  pop: 0.25,
  trend: 0,
  knn: 1,
  repeat: 3,
  reorder: 0,
  newItem: 0.5,
};

/** The blend's keys in the order its formula adds the terms up (linear-blend.ts: the order fixes the scores). */
export const BLEND_KEYS: ReadonlyArray<keyof BlendWeights> = [
  'cos',
  'pop',
  'trend',
  'knn',
  'repeat',
  'reorder',
  'newItem',
];

/**
 * A blend stored with a model version; versions stored before a weight existed did not use it (weight 0).
 */
export function storedBlend(stored: unknown, fallback: BlendWeights): BlendWeights {
  return storedWeights(stored, BLEND_KEYS, fallback);
}
