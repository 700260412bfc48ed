import { dot, normalize } from '../common/vectors';
import type { BlendWeights } from './blend';
import type { DeferredCosines } from './deferred-cosines';
import type { PurchaseSignals } from './purchase-signals';
import { isNewArrival, type NewArrivalRule } from './new-arrivals';
import { bestNewArrivals } from './new-arrival-source';
import { RowSlots } from './row-slots';
import { topK } from './top-k';

const DAY_MS = 86_400_000;

/** One item of a shopper's history as the ranking sees it. */
export interface HistoryItem {
  itemId: string;
  /** The item's weight in the profile vector (decayed, log-damped event weight; ≤ 0 leaves the vector alone). */
  weight: number;
  /** Purchase events of this item (0: only looked at). */
  purchases: number;
  lastAt: Date;
}

/** A vector-search hit: an item and its cosine to the query. */
export interface NearestHit {
  id: string;
  score: number;
}

/** How many candidates each source contributes; the gate tunes on the same numbers serving ranks with. */
export interface CandidateLimits {
  /** The most weighted history items that shape a list (bounds the work for wholesale-sized histories). */
  history: number;
  vector: number;
  coPurchase: number;
  /** From each of the popular and trending shelves. */
  shelf: number;
  /** The new arrivals that fit the profile best, whether or not they are among its `vector` neighbours. */
  newArrivals: number;
}

/**
 * 100 vector neighbours: ~30 % less CPU per list than 200, for the same NDCG. A never-sold item can only be a
 * candidate through its text, though, and a profile mixes many kinds of product, so a new arrival close to one
 * of them can rank below the 100 nearest to the profile as a whole (test/finetune.int-spec.ts, cold start):
 * new arrivals have a source of their own, which reads only the items inside the new-arrival window. 20 of
 * them: among new arrivals the blend differs by the cosine alone (their sales terms are all 0), so the 20 that
 * fit best are every new arrival the first 20 places could show or keep a new-arrival place for (lists have 10
 * by default); a deeper pool still finds those among the vector neighbours.
 */
export const CANDIDATE_LIMITS: CandidateLimits = {
  history: 100,
  vector: 100,
  coPurchase: 200,
  shelf: 50,
  newArrivals: 20,
};

/** What gathering candidates reads besides the history: the shop's purchase signals and the item vectors. */
export interface RankingSources {
  signals: PurchaseSignals;
  vectorOf(id: string): Float32Array | undefined;
  /** The `k` items nearest to unit vector `v` that `pass` accepts (HNSW when serving; exact in the gate). */
  nearest(v: Float32Array, k: number, pass: (id: string) => boolean): readonly NearestHit[];
  /** Days after which an own purchase counts half as recent in the repeat feature. */
  repeatHalfLifeDays: number;
  /** Which candidates are new arrivals (the cold-start prior and the reserved place); see NewArrivalRule. */
  newArrivals: NewArrivalRule;
  /**
   * The items that may be new arrivals at `nowMs` (NewArrivalPool.at: a superset, each is checked with
   * isNewArrival), kept by the caller so that no list scans the catalog; absent: new arrivals come only as
   * vector neighbours.
   */
  newArrivalIds?(nowMs: number): readonly string[];
  limits?: CandidateLimits;
  /**
   * Leave the cosines to be computed when the list is ranked, only where they can matter (deferred-cosines.ts):
   * serving ranks one blend once. Tuning scores every candidate under many blends and needs them all.
   */
  deferCosines?: boolean;
}

/**
 * The candidates of one personalised list with their features, as parallel arrays (one slot per candidate,
 * in the order the sources added them): the blend scores them many times during tuning, once when serving.
 */
export interface CandidateSet {
  size: number;
  ids: string[];
  /** Cosine to the profile vector (0 when either has no vector). */
  cos: Float64Array;
  logPop: Float64Array;
  logTrend: Float64Array;
  /** Σ of co-purchase similarities to the history items. */
  knn: Float64Array;
  /** The history item with the strongest co-purchase similarity. */
  knnVia: Array<string | undefined>;
  /** log(1 + own purchases) × (½ + ½ · recency): buying it again. */
  repeat: Float64Array;
  /** The item's re-order rate, for the user's own purchases only. */
  reorder: Float64Array;
  /** Own purchases of the item (0 for anything else). */
  purchases: Float64Array;
  /** 1 for a new arrival (unsold, on sale for at most NEW_ARRIVAL_DAYS as of `now`; isNewArrival). */
  isNew: Uint8Array;
  /** The normalised profile vector, when any history item has a vector and a positive weight. */
  profile: Float32Array | undefined;
  /** The history items that shaped the profile vector, with their vectors (for "similar-to" reasons). */
  contributions: Array<{ id: string; v: Float32Array }>;
  /** Cosines not computed yet (RankingSources.deferCosines); rankForList resolves the ones it needs. */
  deferred?: DeferredCosines;
}

/**
 * History items with weight or purchases, most weighted first (then most bought, then in the order given),
 * capped: a bounded top-k, since a wholesale customer's history holds far more items than the cap.
 */
export function rankingHistory(items: readonly HistoryItem[], cap: number): HistoryItem[] {
  const kept = items.filter((p) => p.weight > 0 || p.purchases > 0);
  const before = (a: number, b: number): boolean => {
    const x = kept[a];
    const y = kept[b];
    if (x.weight !== y.weight) return x.weight > y.weight;
    if (x.purchases !== y.purchases) return x.purchases > y.purchases;
    return a < b;
  };
  return Array.from(topK(kept.length, cap, before), (i) => kept[i]);
}

/** How strongly an own purchase asks to be bought again: more purchases, more recently, more so. */
export function repeatFeature(purchases: number, ageMs: number, halfLifeDays: number): number {
  const recency = Math.pow(2, -ageMs / (halfLifeDays * DAY_MS));
  return Math.log1p(purchases) * (0.5 + 0.5 * recency);
}

/** The features some candidate sources choose their candidates by (see gatherCandidates). */
const SOURCE_FEATURES = ['knn', 'pop', 'trend'] as const;
type SourceFeature = (typeof SOURCE_FEATURES)[number];

/** Whether gathering for `blend` leaves a source out: else it gathers what gathering with no blend does. */
export function blendLeavesSourcesOut(blend: BlendWeights): boolean {
  return SOURCE_FEATURES.some((f) => blend[f] === 0);
}

/**
 * Candidates of a personalised list: the profile's vector neighbours, the new arrivals that fit it best, the
 * user's own purchases, popular and trending items, and the strongest co-purchase neighbours of the history —
 * each only if `pass` accepts it — with every feature the blend scores. `history` is already capped
 * (rankingHistory).
 *
 * `blend`, when given, is the blend the list will be ranked by. The sources that choose their candidates by
 * one feature's value — co-purchase (`knn`), the popular shelf (`pop`), the trending shelf (`trend`) — add none
 * when it gives that feature no weight, and the co-purchase feature is not computed: the tuned blend of a shop
 * can leave a source out (Online Retail's personalised lists weigh co-purchase 0), and summing a hundred
 * neighbour lists for a term multiplied by 0 was half of such a list's CPU. The candidates they would have
 * added could only rank by their other features, which the sources of those features already look for
 * (recs-cpu: the same 2,000 lists either way). Without `blend` (blend tuning, which tries many) every source adds.
 */
export function gatherCandidates(
  src: RankingSources,
  history: readonly HistoryItem[],
  now: Date,
  pass: (id: string) => boolean,
  blend?: BlendWeights,
): CandidateSet {
  const limits = src.limits ?? CANDIDATE_LIMITS;
  const uses = (feature: SourceFeature) => blend === undefined || blend[feature] !== 0;
  const model = src.signals;
  let acc: Float32Array | undefined;
  const contributions: Array<{ id: string; v: Float32Array }> = [];
  for (const p of history) {
    if (p.weight <= 0) continue;
    const v = src.vectorOf(p.itemId);
    if (!v) continue;
    acc ??= new Float32Array(v.length);
    for (let j = 0; j < v.length; j++) acc[j] += p.weight * v[j];
    contributions.push({ id: p.itemId, v });
  }
  const profile = acc ? normalize(acc) : undefined;

  const shelves: Array<[readonly string[], Int32Array]> = [];
  if (uses('pop')) shelves.push([model.popular, model.popularRows]);
  if (uses('trend')) shelves.push([model.trending, model.trendingRows]);
  const coPurchase = uses('knn');
  const capacity =
    limits.vector +
    limits.newArrivals +
    history.length +
    shelves.length * limits.shelf +
    (coPurchase ? limits.coPurchase : 0);
  const set: CandidateSet = {
    size: 0,
    ids: [],
    cos: new Float64Array(capacity),
    logPop: new Float64Array(capacity),
    logTrend: new Float64Array(capacity),
    knn: new Float64Array(capacity),
    knnVia: [],
    repeat: new Float64Array(capacity),
    reorder: new Float64Array(capacity),
    purchases: new Float64Array(capacity),
    isNew: new Uint8Array(capacity),
    profile,
    contributions,
  };
  // Each candidate's id is resolved to the model's dense row once, when it is added; every feature below is
  // then read from the model's typed arrays by that row.
  const rowAt = new Int32Array(capacity);
  // Candidates are found by their model row; the few without one (never sold) by id.
  const rowSlots = CANDIDATE_ROWS.begin(model.buyersAt.length);
  let unsold: Map<string, number> | undefined;
  const slotOf = (id: string, row: number): number =>
    row >= 0 ? rowSlots.get(row) : (unsold?.get(id) ?? -1);
  const add = (id: string, row: number): number => {
    const i = set.size++;
    if (row >= 0) rowSlots.set(row, i);
    else (unsold ??= new Map()).set(id, i);
    set.ids.push(id);
    set.knnVia.push(undefined);
    rowAt[i] = row;
    return i;
  };
  if (profile) for (const h of src.nearest(profile, limits.vector, pass)) add(h.id, model.rowOf(h.id));
  const nowMs = now.getTime();
  if (profile && src.newArrivalIds) {
    const fresh = (id: string) => pass(id) && isNewArrival(src.newArrivals, id, model.buyersOf(id), nowMs);
    const ids = src.newArrivalIds(nowMs);
    for (const id of bestNewArrivals(src, profile, ids, limits.newArrivals, fresh)) {
      const row = model.rowOf(id);
      if (slotOf(id, row) < 0) add(id, row);
    }
  }
  for (const p of history) {
    if (p.purchases <= 0 || !pass(p.itemId)) continue;
    const itemRow = model.rowOf(p.itemId);
    let i = slotOf(p.itemId, itemRow);
    if (i < 0) i = add(p.itemId, itemRow);
    const row = rowAt[i];
    set.repeat[i] = repeatFeature(p.purchases, nowMs - p.lastAt.getTime(), src.repeatHalfLifeDays);
    set.reorder[i] = row >= 0 ? model.reorderRateAt[row] : model.reorderRate(p.itemId);
    set.purchases[i] = p.purchases;
  }
  for (const [shelf, rows] of shelves) {
    let added = 0;
    for (let k = 0; k < shelf.length && added < limits.shelf; k++) {
      const id = shelf[k];
      if (!pass(id)) continue;
      if (slotOf(id, rows[k]) < 0) add(id, rows[k]);
      added += 1;
    }
  }
  if (coPurchase)
    model.withCoPurchase(
      history.map((p) => p.itemId),
      (co) => {
        const knnOf = (i: number, r: number) => {
          set.knn[i] = co.scoreAt(r);
          set.knnVia[i] = co.viaAt(r);
        };
        let inSet = 0;
        for (let i = 0; i < set.size; i++) {
          const r = rowAt[i] >= 0 ? co.rowOfItem(rowAt[i]) : -1;
          if (r < 0) continue;
          knnOf(i, r);
          inSet += 1;
        }
        // Co-purchase-only candidates: the strongest that pass the rules are scored in full. Those already in
        // the set are skipped, so the limit plus those (plus rule failures: a few more are ordered up front, the
        // rest only when reached) are looked at.
        let kept = 0;
        for (const r of co.rankedRows(limits.coPurchase + inSet + 16)) {
          if (kept >= limits.coPurchase) break;
          const id = co.idAt(r);
          const row = co.itemRowAt(r);
          if (slotOf(id, row) >= 0 || !pass(id)) continue;
          knnOf(add(id, row), r);
          kept += 1;
        }
      },
    );
  const deferred: DeferredCosines | undefined =
    profile && src.deferCosines
      ? {
          profileNorm: Math.sqrt(dot(profile, profile)),
          vectors: [],
          known: new Uint8Array(set.size),
          pending: 0,
        }
      : undefined;
  for (let i = 0; i < set.size; i++) {
    const row = rowAt[i];
    const buyers = row >= 0 ? model.buyersAt[row] : 0;
    if (row >= 0) {
      set.logPop[i] = model.logBuyersAt[row];
      set.logTrend[i] = model.logRecentBuyersAt[row];
    }
    set.isNew[i] = isNewArrival(src.newArrivals, set.ids[i], buyers, nowMs) ? 1 : 0;
    // Every cosine is our own dot product, the vector hits' too: the search's own scores come from another
    // implementation (HNSW's, in float32) and would rank the same candidates differently by a hair. A new
    // arrival's is computed at once: the places kept for new arrivals rank them below the pool.
    const v = profile ? src.vectorOf(set.ids[i]) : undefined;
    if (deferred && v && !set.isNew[i]) {
      deferred.vectors[i] = v;
      deferred.pending += 1;
    } else {
      set.cos[i] = v ? dot(profile!, v) : 0;
      if (deferred) deferred.known[i] = 1;
    }
  }
  if (deferred) set.deferred = deferred;
  return set;
}

/** Which candidate each model row holds, shared by every (synchronous) gathering. */
const CANDIDATE_ROWS = new RowSlots();
