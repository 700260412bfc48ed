import { ndcgAtK } from './ranking-metrics';
import type { SessionCandidateSet } from './session-ranking';
import { rankSimilar, type SimilarBlend } from './similar-ranking';

/**
 * One validation case of the similar kind: an item of a validation basket as the viewed product, the
 * candidates its similar list gathered, and the other items of the same basket (what was bought with it).
 */
export interface SimilarCase {
  candidates: SessionCandidateSet;
  targets: ReadonlySet<string>;
}

/**
 * The similar cases of validation baskets: each item of a basket (with at least one other item) as the query,
 * the rest of the basket as targets. `at most` cases, sampled evenly over the baskets in the order given, keep
 * tuning time bounded on large shops.
 */
export function similarQueries(
  baskets: ReadonlyArray<ReadonlySet<string>>,
  known: (id: string) => boolean,
  atMost: number,
): Array<{ query: string; targets: Set<string> }> {
  const all: Array<{ query: string; targets: Set<string> }> = [];
  for (const basket of baskets) {
    const items = [...basket].filter(known).sort();
    if (items.length < 2) continue;
    for (const q of items) all.push({ query: q, targets: new Set(items.filter((i) => i !== q)) });
  }
  const step = Math.max(1, Math.ceil(all.length / atMost));
  return all.filter((_, i) => i % step === 0);
}

/** Mean NDCG@k of the cases under `w`: the similar lists serving would give, scored against the baskets. */
export function meanSimilarNdcg(cases: readonly SimilarCase[], w: SimilarBlend, k: number): number {
  if (cases.length === 0) return 0;
  const scratch = new Float64Array(cases.reduce((m, c) => Math.max(m, c.candidates.size), 0));
  let sum = 0;
  for (const c of cases) {
    const ids = rankSimilar(c.candidates, w, k, scratch).map((s) => c.candidates.ids[s]);
    sum += ndcgAtK(ids, c.targets, k);
  }
  return sum / cases.length;
}

/**
 * Coordinate search of the similar blend by mean NDCG@k, as the personalised blends are tuned
 * (blend-tuning.ts): the cosine weight stays (the score's scale), every other weight is tried at a few
 * multiples of its value (and 0) for three rounds, keeping improvements.
 */
export function tuneSimilarBlend(
  cases: readonly SimilarCase[],
  start: SimilarBlend,
  k = 10,
): { weights: SimilarBlend; ndcg: number } {
  let best = { ...start };
  let bestScore = meanSimilarNdcg(cases, best, k);
  const keys: Array<keyof SimilarBlend> = ['knn', 'trans', 'trend', 'pop'];
  for (let round = 0; round < 3; round++) {
    for (const key of keys) {
      const base = best[key] || 1;
      for (const f of [0, 0.25, 0.5, 0.75, 1.5, 2, 4]) {
        const trial = { ...best, [key]: f === 0 ? 0 : base * f };
        const score = meanSimilarNdcg(cases, trial, k);
        if (score > bestScore + 1e-9) {
          best = trial;
          bestScore = score;
        }
      }
    }
  }
  return { weights: best, ndcg: bestScore };
}
