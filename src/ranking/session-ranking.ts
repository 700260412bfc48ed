import { dot } from '../common/vectors';
import type { NearestHit } from './candidates';
import type { PurchaseSignals } from './purchase-signals';
import { topK } from './top-k';

/**
 * Weights of the session blend (anonymous shoppers, carts):
 *   score(i) = cos(session vector, i)·cos + Σ_s d(s)·sim(s, i)·knn + Σ_s d(s)·P(i | s)·trans
 *            + log(1 + recent buyers(i))·trend + log(1 + buyers(i))·pop
 * where s runs over the session's items and d(s) is its recency weight (sessionDecay): the last items say most
 * about what the shopper wants next.
 */
export interface SessionBlend {
  cos: number;
  knn: number;
  trans: number;
  trend: number;
  pop: number;
}

export const DEFAULT_SESSION_BLEND: SessionBlend = { cos: 4, knn: 2, trans: 4, trend: 0.05, pop: 0.05 };

/** How many candidates each source contributes to a session list. */
export interface SessionLimits {
  /** The most recent session items whose neighbour lists are read (older ones weigh < 1 % under the decay). */
  items: number;
  vector: number;
  /** From each of the co-purchase and transition sources. */
  perSource: number;
  /** From each of the popular and trending shelves. */
  shelf: number;
}

export const SESSION_LIMITS: SessionLimits = { items: 20, vector: 100, perSource: 200, shelf: 30 };

/** Recency weight of the `i`-th of `n` session items (oldest first): halves every three items back. */
export function sessionDecay(i: number, n: number): number {
  return Math.pow(2, (i - (n - 1)) / 3);
}

export interface SessionSources {
  signals: PurchaseSignals;
  vectorOf(id: string): Float32Array | undefined;
  nearest(v: Float32Array, k: number, pass: (id: string) => boolean): readonly NearestHit[];
  limits?: SessionLimits;
}

/** The candidates of one session list with their features, as parallel arrays. */
export interface SessionCandidateSet {
  size: number;
  ids: string[];
  cos: Float64Array;
  knn: Float64Array;
  /** The session item with the strongest decayed co-purchase similarity. */
  knnVia: Array<string | undefined>;
  trans: Float64Array;
  /** The session item this one most likely follows. */
  transVia: Array<string | undefined>;
  logTrend: Float64Array;
  logPop: Float64Array;
}

/**
 * Candidates of a session list: the session vector's nearest items, the decayed co-purchase neighbours and
 * successors of the session's recent items, and the popular and trending shelves — each only if `pass` accepts
 * it (the caller excludes the session's own items). `session` is oldest first; `query` is the session's unit
 * vector (undefined when no item has one).
 */
export function gatherSessionCandidates(
  src: SessionSources,
  session: readonly string[],
  query: Float32Array | undefined,
  pass: (id: string) => boolean,
): SessionCandidateSet {
  const limits = src.limits ?? SESSION_LIMITS;
  const model = src.signals;
  const recent = session.slice(-limits.items);
  const n = recent.length;
  const knnAcc = new Map<string, { sum: number; best: number; via: string }>();
  const transAcc = new Map<string, { sum: number; best: number; via: string }>();
  const accumulate = (
    acc: Map<string, { sum: number; best: number; via: string }>,
    s: string,
    d: number,
    ids: readonly string[],
    sims: Float32Array,
  ) => {
    for (let k = 0; k < ids.length; k++) {
      const v = d * sims[k];
      const e = acc.get(ids[k]);
      if (!e) acc.set(ids[k], { sum: v, best: v, via: s });
      else {
        e.sum += v;
        if (v > e.best) {
          e.best = v;
          e.via = s;
        }
      }
    }
  };
  recent.forEach((s, i) => {
    const d = sessionDecay(i, n);
    const co = model.neighboursOf(s);
    accumulate(knnAcc, s, d, co.ids, co.sims);
    const next = model.transitionsOf(s);
    accumulate(transAcc, s, d, next.ids, next.sims);
  });

  const ids: string[] = [];
  const slot = new Map<string, number>();
  const add = (id: string) => {
    if (slot.has(id) || !pass(id)) return false;
    slot.set(id, ids.length);
    ids.push(id);
    return true;
  };
  if (query) for (const h of src.nearest(query, limits.vector, pass)) add(h.id);
  for (const acc of [knnAcc, transAcc]) {
    const ranked = [...acc.entries()].sort((a, b) => b[1].sum - a[1].sum || (a[0] < b[0] ? -1 : 1));
    let kept = 0;
    for (const [id] of ranked) {
      if (kept >= limits.perSource) break;
      if (add(id)) kept += 1;
    }
  }
  for (const shelf of [model.popular, model.trending]) {
    let kept = 0;
    for (const id of shelf) {
      if (kept >= limits.shelf) break;
      if (pass(id)) {
        add(id);
        kept += 1;
      }
    }
  }
  const size = ids.length;
  const set: SessionCandidateSet = {
    size,
    ids,
    cos: new Float64Array(size),
    knn: new Float64Array(size),
    knnVia: new Array<string | undefined>(size).fill(undefined),
    trans: new Float64Array(size),
    transVia: new Array<string | undefined>(size).fill(undefined),
    logTrend: new Float64Array(size),
    logPop: new Float64Array(size),
  };
  for (let i = 0; i < size; i++) {
    const id = ids[i];
    const v = query ? src.vectorOf(id) : undefined;
    set.cos[i] = v ? dot(query!, v) : 0;
    const co = knnAcc.get(id);
    if (co) {
      set.knn[i] = co.sum;
      set.knnVia[i] = co.via;
    }
    const tr = transAcc.get(id);
    if (tr) {
      set.trans[i] = tr.sum;
      set.transVia[i] = tr.via;
    }
    set.logTrend[i] = Math.log1p(model.recentBuyersOf(id));
    set.logPop[i] = Math.log1p(model.buyersOf(id));
  }
  return set;
}

/** The session blend score of one candidate: the only place its formula is written. */
export function sessionScoreOf(set: SessionCandidateSet, w: SessionBlend, i: number): number {
  return (
    w.cos * set.cos[i] +
    w.knn * set.knn[i] +
    w.trans * set.trans[i] +
    w.trend * set.logTrend[i] +
    w.pop * set.logPop[i]
  );
}

/** The best `k` candidate slots by the session blend, then id ascending. */
export function rankSession(set: SessionCandidateSet, w: SessionBlend, k: number): number[] {
  const scores = Float64Array.from({ length: set.size }, (_, i) => sessionScoreOf(set, w, i));
  const ids = set.ids;
  const before = (a: number, b: number) =>
    scores[a] > scores[b] || (scores[a] === scores[b] && ids[a] < ids[b]);
  return Array.from(topK(set.size, k, before));
}

/** The source that contributed most to a candidate's score: what its `reason` names. */
export type SessionSource = 'transitions' | 'co-purchase' | 'vector' | 'trending' | 'popular';

export function mainSource(set: SessionCandidateSet, w: SessionBlend, i: number): SessionSource {
  // Only a source that holds the item can be its reason; the vector is the fallback (every candidate has a cosine).
  const terms: Array<[SessionSource, number]> = [['vector', w.cos * set.cos[i]]];
  if (set.trans[i] > 0) terms.push(['transitions', w.trans * set.trans[i]]);
  if (set.knn[i] > 0) terms.push(['co-purchase', w.knn * set.knn[i]]);
  if (set.logTrend[i] > 0) terms.push(['trending', w.trend * set.logTrend[i]]);
  if (set.logPop[i] > 0) terms.push(['popular', w.pop * set.logPop[i]]);
  return terms.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
}
