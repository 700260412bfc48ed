/**
 * Weights of the score blend for personalised lists:
 *   score(i) = cos(profile, i)·wCos + log(1 + buyers(i))·wPop + Σ_j∈history sim(i, j)·wKnn
 *            + log(1 + own purchases of i)·recency·wRepeat + [i never sold]·wNew
 * Defaults were chosen on a validation month (README: "Tuning the blend"), never on the test period.
 */
export interface BlendWeights {
  cos: number;
  pop: number;
  knn: number;
  repeat: number;
  /** Pseudo-popularity for never-sold items, so the text alone can surface them (cold start). */
  newItem: number;
}

export const DEFAULT_BLEND: BlendWeights = { cos: 4, pop: 0.25, knn: 1, repeat: 3, newItem: 0.5 };
