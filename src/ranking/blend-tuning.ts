import { BLEND_KEYS, type BlendWeights } from './blend';
import type { CandidateSet } from './candidates';
import { searchButCosine, type Tuned } from './coordinate-search';
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

/** The blend weights that rank validation baskets best by mean NDCG@k, searched from `start` (searchButCosine). */
export function tuneBlend(cases: readonly BlendCase[], start: BlendWeights, k = 10): Tuned<BlendWeights> {
  return searchButCosine(start, BLEND_KEYS, (w) => meanNdcg(cases, w, k));
}
