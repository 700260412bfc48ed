import { blendScore, blendScores, storedWeights } from './linear-blend';
import {
  gatherSessionCandidates,
  sessionColumns,
  type SessionBlend,
  type SessionCandidateSet,
  type SessionLimits,
  type SessionSources,
} from './session-ranking';
import { slotArray, topK } from './top-k';

/**
 * Weights of the similar-items blend ("items like this one", a product page):
 *   score(i) = cos(item, i)·cos + sim(item, i)·knn + P(i | item)·trans
 *            + log(1 + recent buyers(i))·trend + log(1 + buyers(i))·pop
 * — a session list of one item: the same candidate sources and features (session-ranking.ts), with its own
 * weights, tuned on the fine-tune's validation baskets for its own task (items bought with this one).
 */
export interface SimilarBlend {
  cos: number;
  knn: number;
  trans: number;
  trend: number;
  pop: number;
}

/**
 * Until a fine-tune tunes its own: co-purchase cosines (≈ 0.05–0.5 for an item's top neighbours) and
 * transition probabilities (≈ 0.01–0.2) must be able to outrank a text neighbour (cosine ≈ 0.5–0.9), or an
 * item bought with this one, described unlike it, would never show.
 */
export const DEFAULT_SIMILAR_BLEND: SimilarBlend = { cos: 1, knn: 2, trans: 2, trend: 0.02, pop: 0.02 };

/** The similar blend's keys in the order its formula adds the terms up (the order fixes the scores). */
export const SIMILAR_BLEND_KEYS: ReadonlyArray<keyof SimilarBlend> = ['cos', 'knn', 'trans', 'trend', 'pop'];

/** A blend stored with a model version; versions stored before similar lists were tuned keep the defaults. */
export function storedSimilarBlend(stored: unknown): SimilarBlend {
  return storedWeights(stored, SIMILAR_BLEND_KEYS, DEFAULT_SIMILAR_BLEND);
}

/**
 * Candidates of a similar list: `vector` nearest items, `perSource` co-purchase neighbours and successors.
 * Popular and trending items are no candidates of their own (they would put the best sellers on every product
 * page), only weak terms of the score.
 */
export const SIMILAR_LIMITS: SessionLimits = { items: 1, vector: 100, perSource: 100, shelf: 0 };

export type SimilarSources = Omit<SessionSources, 'limits' | 'cosFlat' | 'selectBy'>;

/** Each source selected by its flat sum alone (SessionSources.selectBy); only the weights' signs matter. */
const ONE_ITEM_SELECTION: SessionBlend = {
  cos: 0,
  cosFlat: 0,
  knn: 1,
  knnRecent: 0,
  trans: 1,
  transRecent: 0,
  trend: 0,
  pop: 0,
};

/** Candidates of `itemId`'s similar list with their features; `v` is its unit vector (undefined: none). */
export function gatherSimilarCandidates(
  src: SimilarSources,
  itemId: string,
  v: Float32Array | undefined,
  pass: (id: string) => boolean,
): SessionCandidateSet {
  return gatherSessionCandidates(
    // One item's flat mean is its own vector: cosFlat would repeat cos (and the blend has no such term). Its
    // recency weight is 1, so each source's two sums are equal: one selection by the flat one keeps the same
    // candidates as one by each.
    { ...src, limits: SIMILAR_LIMITS, cosFlat: false, selectBy: ONE_ITEM_SELECTION },
    [itemId],
    v,
    (id) => id !== itemId && pass(id),
  );
}

/** The similar blend score of one candidate (as rankSimilar scores it). */
export function similarScoreOf(set: SessionCandidateSet, w: SimilarBlend, i: number): number {
  return blendScore(sessionColumns(set), w, SIMILAR_BLEND_KEYS, i);
}

/** The best `k` candidate slots by the similar blend, then id ascending. */
export function rankSimilar(
  set: SessionCandidateSet,
  w: SimilarBlend,
  k: number,
  scratch?: Float64Array,
): number[] {
  const out = scratch && scratch.length >= set.size ? scratch : new Float64Array(set.size);
  const scores = blendScores(sessionColumns(set), w, SIMILAR_BLEND_KEYS, set.size, out);
  const ids = set.ids;
  const before = (a: number, b: number) =>
    scores[a] > scores[b] || (scores[a] === scores[b] && ids[a] < ids[b]);
  return slotArray(topK(set.size, k, before));
}

/** The candidate sources of a similar list, in the order `strategy` names them. */
export const SIMILAR_SOURCES = ['co-purchase', 'transitions', 'vector'] as const;
export type SimilarSource = (typeof SIMILAR_SOURCES)[number];

/**
 * Which source weighed most in a candidate's score (its `reason`): only a source that holds the item counts;
 * the vector is the fallback (every candidate has a cosine). Popularity and trend are never the reason.
 */
export function similarSourceOf(set: SessionCandidateSet, w: SimilarBlend, i: number): SimilarSource {
  let best: SimilarSource = 'vector';
  let weight = w.cos * set.cos[i];
  if (set.knn[i] > 0 && w.knn * set.knn[i] > weight) {
    best = 'co-purchase';
    weight = w.knn * set.knn[i];
  }
  if (set.trans[i] > 0 && w.trans * set.trans[i] > weight) best = 'transitions';
  return best;
}

/** `strategy` of a similar list: `similar:` and the sources its items came from, e.g. `similar:co-purchase+vector`. */
export function similarStrategy(sources: Iterable<SimilarSource>): string {
  const used = new Set(sources);
  const named = SIMILAR_SOURCES.filter((s) => used.has(s));
  return named.length ? `similar:${named.join('+')}` : 'similar';
}

/** A ranked similar list: ids, scores and the source each came from, best first. */
export interface SimilarList {
  ids: string[];
  scores: Float32Array;
  sources: SimilarSource[];
}

/** The similar list of `itemId`: its best `length` candidates passing `pass`, by the blend. */
export function similarList(
  src: SimilarSources,
  itemId: string,
  v: Float32Array | undefined,
  pass: (id: string) => boolean,
  w: SimilarBlend,
  length: number,
): SimilarList {
  const set = gatherSimilarCandidates(src, itemId, v, pass);
  const order = rankSimilar(set, w, length);
  return {
    ids: order.map((i) => set.ids[i]),
    scores: Float32Array.from(order, (i) => similarScoreOf(set, w, i)),
    sources: order.map((i) => similarSourceOf(set, w, i)),
  };
}

/**
 * The first `n` entries (positions) of a ranked list that pass `pass`, or undefined when fewer pass: the
 * caller then ranks afresh under its filters, which reach further down every source.
 */
export function firstPassing(
  list: SimilarList,
  n: number,
  pass: (id: string) => boolean,
): number[] | undefined {
  const out: number[] = [];
  for (let i = 0; i < list.ids.length && out.length < n; i++) if (pass(list.ids[i])) out.push(i);
  return out.length === n ? out : undefined;
}
