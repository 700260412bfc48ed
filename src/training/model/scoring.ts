/**
 * Ranking with the trained projection:
 *   score(user, item) = cos(context_user, z_item) / τ + β·log(1 + distinctBuyers_item) + γ·[item never sold]
 *
 * Why the extra terms: in-batch negatives are drawn in proportion to popularity, so the softmax learns
 * to *discount* popular items; a fixed log-popularity term puts that prior back (the prototype: without it
 * the projection is only about as good as item-kNN on discovery). But log(1 + 0) = 0 buries every new
 * item under it, so never-sold items get a pseudo-popularity γ — cold start has to be designed in.
 * Defaults: β = 1 for discovery, 1.5 for next-basket, γ = 3 — the prototype's values, and also the grid
 * optimum of `tuneScoring` on the October 2011 validation month of Online Retail with this implementation.
 * γ is poorly determined by one month (flat between 0 and 3 there): re-tune it per shop.
 */
export interface ScoringParams {
  /** Softmax temperature the model was trained with. */
  tau: number;
  /** Weight of log(1 + distinct buyers). */
  beta: number;
  /** Bonus for items with no buyer yet. */
  gamma: number;
}

export const DISCOVERY_SCORING: Readonly<ScoringParams> = { tau: 0.1, beta: 1, gamma: 3 };
export const NEXT_BASKET_SCORING: Readonly<ScoringParams> = { tau: 0.1, beta: 1.5, gamma: 3 };

/** normalize(Σ w·z_item) over a user's history; `projected` is row-major itemCount × dim. */
export function contextVector(
  projected: Float32Array,
  dim: number,
  items: ArrayLike<number>,
  weights: ArrayLike<number>,
): Float32Array {
  const acc = new Float64Array(dim);
  for (let k = 0; k < items.length; k++) {
    const w = weights[k];
    const o = items[k] * dim;
    for (let j = 0; j < dim; j++) acc[j] += w * projected[o + j];
  }
  let nn = 0;
  for (let j = 0; j < dim; j++) nn += acc[j] * acc[j];
  const inv = nn > 0 ? 1 / Math.sqrt(nn) : 0;
  const out = new Float32Array(dim);
  for (let j = 0; j < dim; j++) out[j] = acc[j] * inv;
  return out;
}

/** Popularity part of the score, per item: β·log(1 + buyers) + γ·[buyers = 0]. */
export function popularityPrior(
  distinctBuyers: ArrayLike<number>,
  beta: number,
  gamma: number,
): Float32Array {
  const out = new Float32Array(distinctBuyers.length);
  for (let i = 0; i < out.length; i++) {
    const b = distinctBuyers[i];
    out[i] = b > 0 ? beta * Math.log1p(b) : gamma;
  }
  return out;
}

/** Scores of every item for one context (`projected` rows are unit vectors, so dot = cosine). */
export function scoreAll(
  context: Float32Array,
  projected: Float32Array,
  distinctBuyers: ArrayLike<number>,
  params: ScoringParams,
  out = new Float32Array(distinctBuyers.length),
): Float32Array {
  const cosines = cosineAll(context, projected, out);
  const prior = popularityPrior(distinctBuyers, params.beta, params.gamma);
  const invTau = 1 / params.tau;
  for (let i = 0; i < cosines.length; i++) cosines[i] = cosines[i] * invTau + prior[i];
  return cosines;
}

/** Dot product of `context` with every row of `projected`. */
export function cosineAll(context: Float32Array, projected: Float32Array, out?: Float32Array): Float32Array {
  const dim = context.length;
  const n = projected.length / dim;
  const result = out ?? new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += context[j] * projected[o + j];
    result[i] = dot;
  }
  return result;
}

/**
 * Indices of the `k` best scores, best first; ties broken by item id ascending (string order), as the
 * evaluation protocol requires everywhere. `exclude` holds item indices that may not be returned.
 */
export function topK(
  scores: ArrayLike<number>,
  k: number,
  itemIds: readonly string[],
  exclude?: ReadonlySet<number>,
): number[] {
  const best: number[] = [];
  const better = (a: number, b: number): boolean =>
    scores[a] > scores[b] || (scores[a] === scores[b] && itemIds[a] < itemIds[b]);
  for (let i = 0; i < scores.length; i++) {
    if (exclude?.has(i)) continue;
    if (best.length === k && !better(i, best[k - 1])) continue;
    // Insertion into a short sorted list: k is 10–100, so this beats a heap in practice.
    let pos = best.length === k ? k - 1 : best.length;
    if (best.length < k) best.push(i);
    while (pos > 0 && better(i, best[pos - 1])) {
      best[pos] = best[pos - 1];
      pos--;
    }
    best[pos] = i;
  }
  return best;
}

/** NDCG@k with binary relevance; the ideal DCG counts min(k, |targets|) hits. */
export function ndcgAtK(ranked: readonly number[], targets: ReadonlySet<number>, k: number): number {
  if (targets.size === 0) return 0;
  let dcg = 0;
  for (let r = 0; r < Math.min(k, ranked.length); r++)
    if (targets.has(ranked[r])) dcg += 1 / Math.log2(r + 2);
  let idcg = 0;
  for (let r = 0; r < Math.min(k, targets.size); r++) idcg += 1 / Math.log2(r + 2);
  return dcg / idcg;
}

export interface TuningCase {
  context: Float32Array;
  /** Candidates removed (e.g. items already bought, for discovery). */
  exclude?: ReadonlySet<number>;
  targets: ReadonlySet<number>;
}

export interface TuningResult {
  beta: number;
  gamma: number;
  ndcg: number;
  grid: { beta: number; gamma: number; ndcg: number }[];
}

/**
 * Grid search of β and γ by mean NDCG@k over validation cases. Cosines are computed once per case; ties
 * in NDCG keep the earlier grid point, so list the preferred (e.g. smaller) values first.
 */
export function tuneScoring(
  cases: readonly TuningCase[],
  projected: Float32Array,
  distinctBuyers: ArrayLike<number>,
  itemIds: readonly string[],
  options: { tau: number; betas?: readonly number[]; gammas?: readonly number[]; k?: number },
): TuningResult {
  const betas = options.betas ?? [0, 0.5, 0.75, 1, 1.25, 1.5, 2];
  const gammas = options.gammas ?? [0, 1, 2, 3, 4, 5];
  const k = options.k ?? 10;
  const invTau = 1 / options.tau;
  const cosines = cases.map((c) => cosineAll(c.context, projected));
  const scores = new Float32Array(itemIds.length);
  const grid: TuningResult['grid'] = [];
  let best = { beta: betas[0], gamma: gammas[0], ndcg: -1 };
  for (const beta of betas) {
    for (const gamma of gammas) {
      const prior = popularityPrior(distinctBuyers, beta, gamma);
      let sum = 0;
      cases.forEach((c, ci) => {
        const cos = cosines[ci];
        for (let i = 0; i < scores.length; i++) scores[i] = cos[i] * invTau + prior[i];
        sum += ndcgAtK(topK(scores, k, itemIds, c.exclude), c.targets, k);
      });
      const ndcg = cases.length > 0 ? sum / cases.length : 0;
      grid.push({ beta, gamma, ndcg });
      if (ndcg > best.ndcg) best = { beta, gamma, ndcg };
    }
  }
  return { ...best, grid };
}
