import { searchButCosine, type Tuned } from './coordinate-search';
import { ndcgAtK } from './ranking-metrics';
import type { SessionCandidateSet } from './session-ranking';
import { rankSimilar, SIMILAR_BLEND_KEYS, type SimilarBlend } from './similar-ranking';

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
 * The similar blend that ranks the validation baskets' other items best by mean NDCG@k, searched from `start` as
 * the personalised blends are (searchButCosine).
 */
export function tuneSimilarBlend(
  cases: readonly SimilarCase[],
  start: SimilarBlend,
  k = 10,
): Tuned<SimilarBlend> {
  return searchButCosine(start, SIMILAR_BLEND_KEYS, (w) => meanSimilarNdcg(cases, w, k));
}
