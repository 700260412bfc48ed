import { DenseIds } from './dense-ids';
import { compareIds } from './ids';
import type { ItemKnnModel } from './item-knn';

/** One purchase with its time: consecutive baskets of a user are what "after A, B" is learned from. */
export interface TimedPurchase {
  userId: string;
  itemId: string;
  at: Date;
  /**
   * A step of its own, never part of a basket: a view, cart or rating the shop learns from. Only an order's
   * lines share a basket; views sent without a time (one "now" for a whole batch) or with coarse times are
   * still a sequence, in the order they were sent.
   */
  single?: boolean;
  /**
   * The shopping session a step was sent with (Event.sessionId). Steps chain only within their session: the
   * last view of one visit does not lead to the first of the next. Order lines (not `single`) chain across a
   * user's orders whatever their sessions, since each order is often a visit of its own.
   */
  sessionId?: string;
}

export const DEFAULT_TRANSITION_NEIGHBORS = 100;

/**
 * The most (previous item, next item) pairs one sequence may count, over all its steps; a longer one is left out
 * whole. Each step counts |previous basket| × |next basket| pairs, so an account that orders much of the catalog
 * time and again (a reseller restocking, a crawler, a test account) costs the square of its orders: ten
 * consecutive orders of 5,000 lines took 29 s and 3.1 GB alone. Its steps are restocking, not "what comes next".
 * Online Retail's busiest account counts 1.7 million pairs, the next under 0.5 million.
 */
export const MAX_TRANSITION_PAIRS_PER_SEQUENCE = 5_000_000;

/** What a transitions build left out (buildTransitions' `stats`). */
export interface TransitionStats {
  /** Sequences over MAX_TRANSITION_PAIRS_PER_SEQUENCE pairs, not counted. */
  sequencesLeftOut: number;
}

/**
 * The user's purchases grouped into baskets (one basket: one user, one timestamp — an invoice), oldest first,
 * each basket's items distinct and in ascending id order. A `single` purchase is a basket of its own (the same
 * item at the same instant once); at one instant, baskets keep the order of `purchases` (callers pass events in
 * the order they were sent). Each sequence is keyed by its user, and a session's steps are a sequence of their
 * own, keyed by user and session (TimedPurchase.sessionId).
 */
export function basketsByUser(purchases: readonly TimedPurchase[]): Map<string, string[][]> {
  type Basket = { at: number; seq: number; items: Set<string> };
  const byUser = new Map<string, Map<string, Basket>>();
  purchases.forEach((p, seq) => {
    const sequence = p.single && p.sessionId !== undefined ? `${p.userId}\u0000${p.sessionId}` : p.userId;
    let baskets = byUser.get(sequence);
    if (!baskets) byUser.set(sequence, (baskets = new Map<string, Basket>()));
    const at = p.at.getTime();
    // A step repeated at one instant counts once, at its first place (as the co-purchase job reads them).
    const key = p.single ? `s${at}\u0000${p.itemId}` : `t${at}`;
    let basket = baskets.get(key);
    if (!basket) baskets.set(key, (basket = { at, seq, items: new Set() }));
    basket.items.add(p.itemId);
  });
  const out = new Map<string, string[][]>();
  for (const [user, baskets] of byUser)
    out.set(
      user,
      [...baskets.values()]
        .sort((a, b) => a.at - b.at || a.seq - b.seq)
        .map((b) => [...b.items].sort(compareIds)),
    );
  return out;
}

/**
 * First-order transitions between consecutive baskets of each user: P(b | a) = (times b was in the basket
 * right after one holding a, and not in a's basket) / (baskets holding a that had a next basket). Items of the
 * next basket that were already in the previous one are re-orders, not "what comes next", so they are not
 * counted. Each item keeps its `neighborCount` most likely successors (ties → lower id), in the CSR shape of
 * the co-purchase lists so both are stored and served alike.
 */
export function buildTransitions(
  baskets: Iterable<readonly (readonly string[])[]>,
  neighborCount = DEFAULT_TRANSITION_NEIGHBORS,
  stats?: TransitionStats,
  maxPairsPerSequence = MAX_TRANSITION_PAIRS_PER_SEQUENCE,
): ItemKnnModel {
  const numbering = new DenseIds();
  const ids = numbering.ids;
  const idx = (id: string): number => numbering.intern(id);
  const counts = new Map<number, Map<number, number>>();
  const outOf = new Map<number, number>();
  for (const seq of baskets) {
    // Judged by the baskets' sizes before any pair is counted (re-orders, left out below, count here too).
    let pairs = 0;
    for (let t = 0; t + 1 < seq.length; t++) pairs += seq[t].length * seq[t + 1].length;
    if (pairs > maxPairsPerSequence) {
      if (stats) stats.sequencesLeftOut += 1;
      continue;
    }
    for (let t = 0; t + 1 < seq.length; t++) {
      const prev = seq[t];
      const inPrev = new Set(prev);
      const next = seq[t + 1].filter((b) => !inPrev.has(b)).map(idx);
      for (const aId of prev) {
        const a = idx(aId);
        outOf.set(a, (outOf.get(a) ?? 0) + 1);
        if (next.length === 0) continue;
        let row = counts.get(a);
        if (!row) counts.set(a, (row = new Map<number, number>()));
        for (const b of next) row.set(b, (row.get(b) ?? 0) + 1);
      }
    }
  }
  // Ascending id order, so positions break ties the way every other list does.
  const order = ids.map((_, i) => i).sort((a, b) => compareIds(ids[a], ids[b]));
  const position = new Int32Array(ids.length);
  order.forEach((i, p) => (position[i] = p));
  const itemIds = order.map((i) => ids[i]);
  const offsets = new Int32Array(itemIds.length + 1);
  const neighbourChunks: number[][] = [];
  const probChunks: number[][] = [];
  order.forEach((a, p) => {
    const row = counts.get(a);
    const total = outOf.get(a) ?? 0;
    const kept = row
      ? [...row.entries()]
          .map(([b, c]) => ({ b: position[b], prob: c / total }))
          .sort((x, y) => y.prob - x.prob || x.b - y.b)
          .slice(0, neighborCount)
      : [];
    neighbourChunks.push(kept.map((k) => k.b));
    probChunks.push(kept.map((k) => k.prob));
    offsets[p + 1] = offsets[p] + kept.length;
  });
  return {
    itemIds,
    itemIndex: new Map(itemIds.map((id, i) => [id, i])),
    offsets,
    neighbors: Int32Array.from(neighbourChunks.flat()),
    similarities: Float64Array.from(probChunks.flat()),
  };
}
