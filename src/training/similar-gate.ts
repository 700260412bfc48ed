import type { PurchaseSignals } from '../ranking/purchase-signals';
import {
  DEFAULT_SIMILAR_BLEND,
  gatherSimilarCandidates,
  type SimilarBlend,
  type SimilarSources,
} from '../ranking/similar-ranking';
import {
  meanSimilarNdcg,
  similarQueries,
  tuneSimilarBlend,
  type SimilarCase,
} from '../ranking/similar-tuning';

const K = 10;
/** Each query is an exact neighbour scan over the catalog: this bounds the gate's added time. */
const MAX_SIMILAR_CASES = 2000;

/** What the gate reports of the similar kind for one model. */
export interface SimilarGateResult {
  weights: SimilarBlend;
  /** Validation NDCG@10 of the similar lists with `weights`. */
  ndcg: number;
  /** The same cases ranked by vector neighbours alone (the similar lists before the blend). */
  vectorOnlyNdcg: number;
  cases: number;
}

/**
 * Tunes the similar blend of one model on the validation baskets: each basket item as the viewed product,
 * the rest of its basket as what should be listed. `signals` holds the purchases before the window and the
 * transitions ("after A, B") learned from them, as the co-purchase job learns them for serving.
 */
export function tuneSimilarForModel(
  baskets: ReadonlyArray<ReadonlySet<string>>,
  signals: PurchaseSignals,
  sources: Omit<SimilarSources, 'signals'>,
  known: (id: string) => boolean,
): SimilarGateResult {
  const src: SimilarSources = { ...sources, signals };
  const cases: SimilarCase[] = similarQueries(baskets, known, MAX_SIMILAR_CASES).flatMap(
    ({ query, targets }) => {
      const v = src.vectorOf(query);
      return v ? [{ candidates: gatherSimilarCandidates(src, query, v, known), targets }] : [];
    },
  );
  const tuned = tuneSimilarBlend(cases, DEFAULT_SIMILAR_BLEND, K);
  const vectorOnly = { cos: 1, knn: 0, trans: 0, trend: 0, pop: 0 };
  return {
    weights: tuned.weights,
    ndcg: tuned.ndcg,
    vectorOnlyNdcg: meanSimilarNdcg(cases, vectorOnly, K),
    cases: cases.length,
  };
}
