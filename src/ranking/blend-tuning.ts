import type { BlendWeights } from './blend';
import type { CandidateSet } from './candidates';
import { rankCandidates, scoreCandidates } from './personalised-ranking';
import { ndcgAtK } from './ranking-metrics';

/** One validation basket: the candidates the ranking gathered for the user, and the items actually bought. */
export interface BlendCase {
  candidates: CandidateSet;
  targets: ReadonlySet<string>;
}

/** The first `k` ids of a case's ranking under `w`: the same ranking serving uses. */
export function scoreCase(c: BlendCase, w: BlendWeights, k: number, scratch?: Float64Array): string[] {
  const set = c.candidates;
  const out = scratch && scratch.length >= set.size ? scratch : new Float64Array(set.size);
  const scores = scoreCandidates(set, w, out);
  return Array.from(rankCandidates(set, scores, k), (s) => set.ids[s]);
}

/** Mean NDCG@k of the cases under `w`. */
export function meanNdcg(cases: readonly BlendCase[], w: BlendWeights, k: number): number {
  if (cases.length === 0) return 0;
  const scratch = new Float64Array(cases.reduce((m, c) => Math.max(m, c.candidates.size), 0));
  return cases.reduce((s, c) => s + ndcgAtK(scoreCase(c, w, k, scratch), c.targets, k), 0) / cases.length;
}

/**
 * Coordinate search of the blend weights by mean NDCG@k over validation baskets, starting from `start`.
 * Three rounds; each tries every weight but the cosine's at a few multiples of its value (and 0) and keeps
 * improvements.
 */
export function tuneBlend(
  cases: readonly BlendCase[],
  start: BlendWeights,
  k = 10,
): { weights: BlendWeights; ndcg: number } {
  let best = { ...start };
  let bestScore = meanNdcg(cases, best, k);
  const keys: Array<keyof BlendWeights> = ['pop', 'trend', 'knn', 'repeat', 'reorder', 'newItem'];
  for (let round = 0; round < 3; round++) {
    for (const key of keys) {
      const base = best[key] || 1;
      for (const f of [0, 0.25, 0.5, 0.75, 1.5, 2, 4]) {
        const trial = { ...best, [key]: f === 0 ? 0 : base * f };
        const score = meanNdcg(cases, trial, k);
        if (score > bestScore + 1e-9) {
          best = trial;
          bestScore = score;
        }
      }
    }
  }
  return { weights: best, ndcg: bestScore };
}
