import { dot } from '../common/vectors';
import { BLEND_KEYS, type BlendWeights } from './blend';
import type { CandidateSet } from './candidates';
import { resolveCosines, type SetScorer } from './deferred-cosines';
import { blendScore, blendScores, type FeatureColumns } from './linear-blend';
import { reserveNewArrivalSlots } from './new-arrivals';
import { slotArray, topK } from './top-k';

/** Why an item is in a list (the API's `reason`). */
export type RankingReason =
  | { type: 'similar-to'; itemIds: string[] }
  | { type: 'bought-before'; count?: number }
  | { type: 'co-purchased-with'; itemIds: string[] }
  | { type: 'popular'; buyers?: number };

/** The one blend score (see BlendWeights) of every candidate, into `out`. */
export function scoreCandidates(set: CandidateSet, w: BlendWeights, out: Float64Array): Float64Array {
  return blendScores(blendColumns(set), w, BLEND_KEYS, set.size, out);
}

/** The best `k` candidates by score descending, then id ascending, as candidate slots; `skip` leaves some out. */
export function rankCandidates(
  set: CandidateSet,
  scores: Float64Array,
  k: number,
  skip?: (slot: number) => boolean,
): Int32Array {
  const ids = set.ids;
  const before = (a: number, b: number) =>
    scores[a] > scores[b] || (scores[a] === scores[b] && ids[a] < ids[b]);
  return topK(set.size, k, before, skip);
}

export interface ListShape {
  /** Places of the list. */
  limit: number;
  /** How many ranked candidates to hand on (more than `limit` when diversity re-ranks). */
  pool: number;
  /** Places of the first `limit` kept for new arrivals (0: none). */
  newItemSlots: number;
}

/**
 * The ranked candidate slots of one list: the best `pool` by the blend, with up to `newItemSlots` of the
 * first `limit` places given to the best-ranked new arrivals (CandidateSet.isNew) when none ranked there on
 * their own: among them the blend is fit to the shopper (their sales terms are all 0).
 */
export function rankForList(set: CandidateSet, w: BlendWeights, shape: ListShape): number[] {
  resolveCosines(set, w, shape.pool, SET_SCORER);
  const scores = scoreCandidates(set, w, new Float64Array(set.size));
  const ranked = slotArray(rankCandidates(set, scores, shape.pool));
  if (shape.newItemSlots > 0) {
    // The best new items below the pool, in rank order, are the only others the reservation could promote.
    const inPool = new Uint8Array(set.size);
    for (const s of ranked) inPool[s] = 1;
    const below = rankCandidates(set, scores, shape.newItemSlots, (s) => inPool[s] === 1 || !set.isNew[s]);
    const extended = [...ranked, ...below];
    reserveNewArrivalSlots(extended, shape.limit, shape.newItemSlots, (s) => set.isNew[s] === 1);
    return extended.slice(0, shape.pool);
  }
  return ranked;
}

/** The blend score of one candidate (as scoreCandidates gives it). */
export function blendScoreOf(set: CandidateSet, w: BlendWeights, slot: number): number {
  return blendScore(blendColumns(set), w, BLEND_KEYS, slot);
}

/** The blend over a whole set and one slot, for the deferred cosines. */
const SET_SCORER: SetScorer = { all: scoreCandidates, one: blendScoreOf };

/** The candidates' feature columns by the weight each is multiplied by (see BlendWeights). */
function blendColumns(set: CandidateSet): FeatureColumns<keyof BlendWeights> {
  return {
    cos: set.cos,
    pop: set.logPop,
    trend: set.logTrend,
    knn: set.knn,
    repeat: set.repeat,
    reorder: set.reorder,
    newItem: set.isNew,
  };
}

/**
 * Why a ranked candidate is there: bought before; co-purchased with a history item when that term weighs at
 * least half the text similarity; similar to the (up to three) history items its vector is closest to;
 * otherwise popular. Worked out for shown items only: the similar-to reason costs a pass over the history.
 */
export function reasonFor(
  set: CandidateSet,
  slot: number,
  w: BlendWeights,
  vectorOf: (id: string) => Float32Array | undefined,
  buyersOf: (id: string) => number,
): RankingReason {
  const id = set.ids[slot];
  if (set.repeat[slot] > 0) return { type: 'bought-before', count: set.purchases[slot] };
  const via = set.knnVia[slot];
  if (set.knn[slot] > 0 && w.knn * set.knn[slot] >= w.cos * set.cos[slot] * 0.5 && via)
    return { type: 'co-purchased-with', itemIds: [via] };
  const v = set.profile ? vectorOf(id) : undefined;
  if (v && set.contributions.length > 0) {
    const top = set.contributions
      .map((x) => ({ id: x.id, s: dot(x.v, v) }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 3)
      .map((x) => x.id);
    return { type: 'similar-to', itemIds: top };
  }
  return { type: 'popular', buyers: buyersOf(id) };
}
