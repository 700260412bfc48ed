import { Dot2Batch } from '../common/simd/dot2-kernel';
import { dot, dot2Into, normalize } from '../common/vectors';
import type { NearestHit } from './candidates';
import { blendScores, storedWeights, type FeatureColumns } from './linear-blend';
import type { PurchaseSignals } from './purchase-signals';
import { reserveNewArrivalSlots } from './new-arrivals';
import { RowSlots } from './row-slots';
import { keepBest, SessionSums } from './session-sums';
import { slotArray, topK } from './top-k';

/**
 * Weights of the session blend (anonymous shoppers, carts):
 *   score(i) = cos(session vector, i)·cos + cos(plain mean of the session's vectors, i)·cosFlat
 *            + Σ_s sim(s, i)·knn + Σ_s d(s)·sim(s, i)·knnRecent
 *            + Σ_s P(i | s)·trans + Σ_s d(s)·P(i | s)·transRecent
 *            + log(1 + recent buyers(i))·trend + log(1 + buyers(i))·pop
 * where s runs over the session's distinct items and d(s) is its recency weight (sessionDecay). Each source
 * comes twice: summed flat (a basket has no order; `knn` alone is the item-kNN baseline's score) and weighed
 * by recency (a browsing session: the last items say most about what comes next). The fine-tune tunes the
 * weights on its validation window (session-tuning.ts), so each shop's data picks its sources.
 */
export interface SessionBlend {
  cos: number;
  /** The cosine to the session's items weighed alike (a basket has no order; the session vector's is recency). */
  cosFlat: number;
  knn: number;
  knnRecent: number;
  trans: number;
  transRecent: number;
  trend: number;
  pop: number;
}

/** The weights served before a fine-tune tunes the session blend (and by versions stored before it did). */
export const DEFAULT_SESSION_BLEND: SessionBlend = {
  cos: 4,
  cosFlat: 0,
  knn: 0,
  knnRecent: 2,
  trans: 0,
  transRecent: 4,
  trend: 0.05,
  pop: 0.05,
};

export const SESSION_BLEND_KEYS: ReadonlyArray<keyof SessionBlend> = [
  'cos',
  'cosFlat',
  'knn',
  'knnRecent',
  'trans',
  'transRecent',
  'trend',
  'pop',
];

/** A session blend stored with a model version; none stored (an older version): `fallback`. */
export function storedSessionBlend(stored: unknown, fallback: SessionBlend): SessionBlend {
  return storedWeights(stored, SESSION_BLEND_KEYS, fallback);
}

/** How many candidates each source contributes to a session list. */
export interface SessionLimits {
  /**
   * The most recent distinct session items whose neighbour lists are read: a whole wholesale invoice, as the
   * personalised list reads up to 100 history items (the flat sums need every item; recency alone would
   * need far fewer).
   */
  items: number;
  vector: number;
  /** From each of the co-purchase and transition sources. */
  perSource: number;
  /** From each of the popular and trending shelves. */
  shelf: number;
  /**
   * Breadth of the vector search's graph walk (hnswlib's ef, SearchOptions.ef); the index's efSearch when
   * undefined. The vector neighbours are candidates the blend re-ranks, not the list itself.
   */
  vectorEf?: number;
}

/**
 * The session vector's search walks no wider than it asks (30 neighbours, a quarter more for the filter), not the
 * index's efSearch (100 up to 20k items): on the Online Retail catalog (3,659 items, fine-tuned 128-d) a walk of
 * 64 for 50 neighbours took the search from 0.147 to 0.075 ms and its recall@50 from 0.982 to 0.948, and left
 * `aisle eval`'s session NDCG@10 at 0.1179 (the blend re-ranks the neighbours with co-purchase, transitions and
 * popularity); 40 for 30 neighbours took it to 0.050 ms and the NDCG@10 to 0.1183.
 */
export const SESSION_VECTOR_EF = 40;

/**
 * Measured by `aisle eval` (session protocol) against the cost of a list (bench/session-cpu): per source 200 →
 * 100 → 50 and vector 100 → 50 left the session NDCG@10 at 0.1168 → 0.1178 → 0.1179, while each cut took
 * ~20 % of a list's CPU (every candidate costs two 512-d cosines). Per source 50 → 30 took the session NDCG@10 to
 * 0.1104 (the gate's tuned blend changed with it; in-visit rose 0.1301 → 0.1494) for ~5 % of a fine-tuned
 * list's CPU (bench/session-cpu --finetuned: 0.324 → 0.308 ms): not worth it. Vector 50 → 30 (with the walk
 * 64 → 40) left it at 0.1183 (in-visit 0.1302) for ~15 % less CPU per gathering on the session thread
 * (bench/session-cpu --finetuned --thread-state, four runs of each build interleaved: median 0.48 → 0.40 ms).
 * Summing only each session item's 50 strongest co-purchase and transition neighbours (of 100) took ~13 % more
 * off a gathering and the session NDCG@10 to 0.1214, but the in-visit one from 0.1302 to 0.1142, and put a
 * long-unsold item into 1 of 1,486 session and 2 of 1,843 in-visit lists (0 before): not taken. Vector 30 → 20 (the
 * walk 40 → 28) left the session NDCG@10 at 0.1224 → 0.1226 (in-visit 0.1284 → 0.1288) for a gathering only 1.037
 * times cheaper (session-cpu --thread-state --against, median of 10 pairs), and new arrivals, which only the vector
 * source brings in, reached fewer lists (42 → 28 of 1,486 session lists, 76 → 57 of 1,843 in-visit): not taken.
 */
export const SESSION_LIMITS: SessionLimits = {
  items: 100,
  vector: 30,
  perSource: 50,
  shelf: 30,
  vectorEf: SESSION_VECTOR_EF,
};

/** Recency weight of the `i`-th of `n` session items (oldest first): halves every three items back. */
export function sessionDecay(i: number, n: number): number {
  return Math.pow(2, (i - (n - 1)) / 3);
}

/**
 * The session's query vector: its items' unit vectors (oldest first) weighed by recency, normalised;
 * undefined when no item has one.
 */
export function sessionQuery(vectors: readonly Float32Array[]): Float32Array | undefined {
  if (vectors.length === 0) return undefined;
  const q = new Float32Array(vectors[0].length);
  vectors.forEach((v, i) => {
    const w = sessionDecay(i, vectors.length);
    for (let j = 0; j < v.length; j++) q[j] += w * v[j];
  });
  return normalize(q);
}

export interface SessionSources {
  signals: PurchaseSignals;
  vectorOf(id: string): Float32Array | undefined;
  /** The nearest items to `v` that `pass` accepts; `ef` as SessionLimits.vectorEf. */
  nearest(v: Float32Array, k: number, pass: (id: string) => boolean, ef?: number): readonly NearestHit[];
  limits?: SessionLimits;
  /**
   * Whether to compute `cosFlat` (default true): serving a blend that gives it no weight skips it, which is
   * half of a list's vector arithmetic (a 512-d dot per candidate); tuning needs every feature.
   */
  cosFlat?: boolean;
  /**
   * `pass` and `vectorOf` for an item known by its row in `signals` (PurchaseSignals.rowOf), answering as they do
   * for its id: tables kept by row (session-thread/row-tables.ts) spare a string lookup or two per candidate,
   * and a list asks about a few hundred. Items without a row are always asked about by id.
   */
  byRow?: SessionRowSources;
  /** Where the set's columns go when it is read to the end before the next gathering (SessionSetScratch). */
  scratch?: SessionSetScratch;
  /**
   * The cosines' kernel that holds the vectors `vectorOf` and `byRow` answer with (Dot2Batch.host: the session
   * thread keeps its index's vectors there), which then reads them where they lie; undefined: one shared by every
   * gathering in this thread, which copies each candidate's vector in.
   */
  cosines?: Dot2Batch;
  /**
   * The blend the set will be ranked by, when known (serving): each source's candidates are then its strongest by
   * the part of the score the blend gives it (flat and recency-weighted sums at the blend's weights), one
   * selection per source rather than one per sum. Undefined (tuning, which weighs every feature): by either sum.
   */
  selectBy?: SessionBlend;
}

export interface SessionRowSources {
  pass(row: number): boolean;
  vectorAt(row: number): Float32Array | undefined;
}

/** The candidates of one session list with their features, as parallel arrays. */
export interface SessionCandidateSet {
  size: number;
  ids: string[];
  cos: Float64Array;
  /** The cosine to the plain mean of the session items' vectors. */
  cosFlat: Float64Array;
  /** Σ of co-purchase similarities to the session items. */
  knn: Float64Array;
  /** The same, each session item weighed by its recency. */
  knnRecent: Float64Array;
  /** The session item with the strongest decayed co-purchase similarity. */
  knnVia: Array<string | undefined>;
  /** Σ of transition probabilities from the session items. */
  trans: Float64Array;
  transRecent: Float64Array;
  /** The session item this one most likely follows. */
  transVia: Array<string | undefined>;
  logTrend: Float64Array;
  logPop: Float64Array;
  /** Each candidate's row in the purchase signals (PurchaseSignals.rowOf), −1 for an item never sold. */
  itemRows: Int32Array;
}

/**
 * A candidate set of these ids with every feature 0 (no source, no row): gathering fills it in. Its number
 * columns are views on one buffer: an ArrayBuffer costs microseconds to allocate and to collect whatever its
 * size, and one per column was a tenth of a gathering on the session thread.
 */
export function emptySessionSet(ids: string[], scratch?: SessionSetScratch): SessionCandidateSet {
  const size = ids.length;
  const buffer = scratch
    ? scratch.zeroed(size * (SESSION_FLOAT_COLUMNS * 8 + 4))
    : new ArrayBuffer(size * (SESSION_FLOAT_COLUMNS * 8 + 4));
  const column = (k: number) => new Float64Array(buffer, k * size * 8, size);
  return {
    size,
    ids,
    cos: column(0),
    cosFlat: column(1),
    knn: column(2),
    knnRecent: column(3),
    knnVia: new Array<string | undefined>(size).fill(undefined),
    trans: column(4),
    transRecent: column(5),
    transVia: new Array<string | undefined>(size).fill(undefined),
    logTrend: column(6),
    logPop: column(7),
    itemRows: new Int32Array(buffer, SESSION_FLOAT_COLUMNS * size * 8, size),
  };
}

/** The number columns of a candidate set besides `itemRows` (emptySessionSet). */
const SESSION_FLOAT_COLUMNS = 8;

/**
 * A buffer reused by every candidate set made with it, for sets read to the end before the next is made (the
 * session thread packs each set at once, and the packed copy is what leaves the thread).
 */
export class SessionSetScratch {
  private buffer = new ArrayBuffer(64 * 1024);
  private extra = new Float64Array(1024);

  /** A column of `n` numbers apart from the set's (its buyers), each written by the caller. */
  column(n: number): Float64Array {
    if (this.extra.length < n) this.extra = new Float64Array(Math.max(n, this.extra.length * 2));
    return this.extra.subarray(0, n);
  }

  /** The first `bytes` of the buffer, zeroed (grown first when shorter). */
  zeroed(bytes: number): ArrayBuffer {
    if (this.buffer.byteLength < bytes)
      this.buffer = new ArrayBuffer(Math.max(bytes, this.buffer.byteLength * 2));
    else new Uint8Array(this.buffer, 0, bytes).fill(0);
    return this.buffer;
  }
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
  const byRow = src.byRow;
  const passes = (id: string, row: number) => (byRow && row >= 0 ? byRow.pass(row) : pass(id));
  const recent = distinctLast(session).slice(-limits.items);
  const n = recent.length;
  const knnSums = KNN_SUMS;
  const transSums = TRANS_SUMS;
  knnSums.reset();
  transSums.reset();
  // Each session item's row, looked up once: its lists and its vector are read by it.
  if (recentRowsScratch.length < n)
    recentRowsScratch = new Int32Array(Math.max(n, recentRowsScratch.length * 2));
  const recentRows = recentRowsScratch;
  recent.forEach((s, i) => {
    const d = sessionDecay(i, n);
    const row = model.rowOf(s);
    recentRows[i] = row;
    knnSums.add(i, d, row >= 0 ? model.neighboursAt(row) : model.neighboursOf(s));
    transSums.add(i, d, row >= 0 ? model.transitionsAt(row) : model.transitionsOf(s));
  });

  const ids: string[] = [];
  // Each candidate's model row (PurchaseSignals.rowOf, −1 for an item never sold); members are found by row.
  const itemRows: number[] = [];
  const marks = CANDIDATE_ROWS.begin(model.buyersAt.length);
  let unsold: Set<string> | undefined;
  const isIn = (id: string, row: number) => (row >= 0 ? marks.get(row) >= 0 : (unsold?.has(id) ?? false));
  const add = (id: string, passed: boolean, row: number) => {
    if (isIn(id, row) || !(passed || passes(id, row))) return false;
    if (row >= 0) marks.set(row, ids.length);
    else (unsold ??= new Set()).add(id);
    ids.push(id);
    itemRows.push(row);
    return true;
  };
  // The search asked the filter already; its hits are the only candidates whose row is looked up by id. With
  // tables by row, an item with a row is judged by them (one lookup of its row rather than of its rule fields),
  // and the rows it looked up are kept in the order asked: the hits come back in that order (nearest first), so
  // each hit's row is found by walking them rather than by looking its id up again.
  const asked = ASKED_HITS;
  asked.count = 0;
  const passHit = byRow
    ? (id: string) => {
        const row = model.rowOf(id);
        asked.note(id, row);
        return row >= 0 ? byRow.pass(row) : pass(id);
      }
    : pass;
  if (query) {
    let from = 0;
    for (const h of src.nearest(query, limits.vector, passHit, limits.vectorEf)) {
      while (from < asked.count && asked.ids[from] !== h.id) from++;
      add(h.id, true, from < asked.count ? asked.rows[from++] : model.rowOf(h.id));
    }
  }
  // Each source's strongest by either sum: the flat one (its ranking alone is the item-kNN or Markov
  // baseline's) and the recency-weighted one. Items the filter rejects take no place; one already in does.
  const w = src.selectBy;
  const sources: Array<[SessionSums, (row: number) => number, number, number]> = [
    [knnSums, (r) => model.itemRowOfNeighbourRow(r), w?.knn ?? 0, w?.knnRecent ?? 0],
    [transSums, (r) => model.itemRowOfTransitionRow(r), w?.trans ?? 0, w?.transRecent ?? 0],
  ];
  for (const [sums, itemRowOf, wFlat, wRecent] of sources) {
    const keep = (slot: number) => {
      const id = sums.idAt(slot);
      const itemRow = itemRowOf(sums.touched[slot]);
      return isIn(id, itemRow) || add(id, false, itemRow);
    };
    for (const values of selectionOrders(sums, wFlat, wRecent))
      keepBest(sums, values, limits.perSource, keep);
  }
  const shelves: Array<[readonly string[], Int32Array]> = [
    [model.popular, model.popularRows],
    [model.trending, model.trendingRows],
  ];
  for (const [shelf, rows] of shelves) {
    let kept = 0;
    for (let k = 0; k < shelf.length && kept < limits.shelf; k++) {
      const id = shelf[k];
      // A candidate already in passed the filter: known by its row, without asking the filter again.
      if (marks.get(rows[k]) >= 0 || passes(id, rows[k])) {
        add(id, true, rows[k]);
        kept += 1;
      }
    }
  }
  const size = ids.length;
  const set = emptySessionSet(ids, src.scratch);
  const flat =
    query && src.cosFlat !== false
      ? flatQuery(recent, (id, i) =>
          byRow && recentRows[i] >= 0 ? byRow.vectorAt(recentRows[i]) : src.vectorOf(id),
        )
      : undefined;
  // Every candidate's cosines in one WebAssembly call after the loop: the same numbers as dot2Into and dot.
  const kernel = src.cosines ?? DOT2;
  const batch = query && kernel?.begin(query, flat, size, set.cos, set.cosFlat) === true ? kernel : undefined;
  for (let i = 0; i < size; i++) {
    const id = ids[i];
    // The item's model row leads to its rows in both sources' sums: at most one string lookup per candidate.
    const row = itemRows[i];
    const v = query ? (byRow && row >= 0 ? byRow.vectorAt(row) : src.vectorOf(id)) : undefined;
    if (v) {
      if (batch) batch.add(i, v);
      else if (flat) dot2Into(query!, flat, v, set.cos, set.cosFlat, i);
      else set.cos[i] = dot(query!, v);
    }
    set.itemRows[i] = row;
    if (row >= 0) {
      set.logTrend[i] = model.logRecentBuyersAt[row];
      set.logPop[i] = model.logBuyersAt[row];
    }
    const k = knnSums.slotOf(model.neighbourRowOf(id, row));
    if (k >= 0) {
      set.knn[i] = knnSums.flat[k];
      set.knnRecent[i] = knnSums.sum[k];
      set.knnVia[i] = recent[knnSums.via[k]];
    }
    const t = transSums.slotOf(model.transitionRowOf(id, row));
    if (t >= 0) {
      set.trans[i] = transSums.flat[t];
      set.transRecent[i] = transSums.sum[t];
      set.transVia[i] = recent[transSums.via[t]];
    }
  }
  batch?.finish();
  return set;
}

/**
 * The orders a source's candidates are selected by: the part of the blend's score the source gives (`wFlat` ·
 * flat + `wRecent` · recency-weighted sum) when the blend weighs it, else either sum (a source the blend gives no
 * weight still brings candidates the other features may rank).
 */
function selectionOrders(sums: SessionSums, wFlat: number, wRecent: number): Float64Array[] {
  if (!(wFlat > 0 || wRecent > 0)) return [sums.flat, sums.sum];
  if (!(wRecent > 0)) return [sums.flat];
  if (!(wFlat > 0)) return [sums.sum];
  const n = sums.count;
  if (BLENDED.length < n) BLENDED = new Float64Array(Math.max(n, BLENDED.length * 2));
  const out = BLENDED;
  const { flat, sum } = sums;
  for (let i = 0; i < n; i++) out[i] = wFlat * flat[i] + wRecent * sum[i];
  return [out];
}

/** selectionOrders' blended sums (reused: a gathering is synchronous, and one source is selected at a time). */
let BLENDED = new Float64Array(1024);

const CANDIDATE_ROWS = new RowSlots();

/** The rows of a gathering's session items (reused: a gathering is synchronous). */
let recentRowsScratch = new Int32Array(128);

/**
 * The ids a gathering's vector search asked the filter about and their rows, in the order asked (reused: a
 * gathering is synchronous). A search that asks again in a second round only appends: a hit found past its first
 * asking is still the same id's row.
 */
class AskedHits {
  ids: string[] = [];
  rows: number[] = [];
  count = 0;

  note(id: string, row: number): void {
    this.ids[this.count] = id;
    this.rows[this.count] = row;
    this.count += 1;
  }
}

const ASKED_HITS = new AskedHits();

/** The cosines' kernel, shared by every (synchronous) gathering; undefined without WebAssembly SIMD. */
const DOT2 = Dot2Batch.create();

/** Scratch sums of the co-purchase and the transition source, shared by every (synchronous) gathering. */
const KNN_SUMS = new SessionSums();
const TRANS_SUMS = new SessionSums();

/** The unit mean of the session items' vectors, each weighed alike; undefined when none has one. */
function flatQuery(
  items: readonly string[],
  vectorOf: (id: string, i: number) => Float32Array | undefined,
): Float32Array | undefined {
  let q: Float32Array | undefined;
  for (let i = 0; i < items.length; i++) {
    const v = vectorOf(items[i], i);
    if (!v) continue;
    q ??= new Float32Array(v.length);
    for (let j = 0; j < v.length; j++) q[j] += v[j];
  }
  return q && normalize(q);
}

/**
 * A session candidate set's feature columns by the weight each is multiplied by: the session blend's and, a
 * subset of them, the similar blend's (similar-ranking.ts).
 */
export function sessionColumns(set: SessionCandidateSet): FeatureColumns<keyof SessionBlend> {
  return {
    cos: set.cos,
    cosFlat: set.cosFlat,
    knn: set.knn,
    knnRecent: set.knnRecent,
    trans: set.trans,
    transRecent: set.transRecent,
    trend: set.logTrend,
    pop: set.logPop,
  };
}

/** "Slot a ranks before slot b" by the session blend, then id ascending. */
function sessionOrder(set: SessionCandidateSet, w: SessionBlend): (a: number, b: number) => boolean {
  const scores = blendScores(
    sessionColumns(set),
    w,
    SESSION_BLEND_KEYS,
    set.size,
    new Float64Array(set.size),
  );
  const ids = set.ids;
  return (a, b) => scores[a] > scores[b] || (scores[a] === scores[b] && ids[a] < ids[b]);
}

/** The best `k` candidate slots by the session blend, then id ascending. */
export function rankSession(set: SessionCandidateSet, w: SessionBlend, k: number): number[] {
  return slotArray(topK(set.size, k, sessionOrder(set, w)));
}

/**
 * The ranked candidate slots of one served session list: the best `pool` by the blend, with up to
 * `newItemSlots` of the first `limit` places given to the best-ranked new arrivals when none ranked there on
 * their own (as discovery lists do). Serving and the fine-tune's gate both rank with this.
 */
export function rankSessionList(
  set: SessionCandidateSet,
  w: SessionBlend,
  shape: { limit: number; pool: number; newItemSlots: number },
  isNew: (slot: number) => boolean,
): number[] {
  if (shape.newItemSlots <= 0) return rankSession(set, w, shape.pool);
  // As reserving in the full order, without ordering all of it: the reservation promotes at most
  // `newItemSlots` new arrivals, the best-ranked below the first `limit` places, and the items they displace
  // stay right below those places. So the pool and the best new arrivals below it are every slot the first
  // `pool` places can end up holding (the personalised ranking reserves the same way).
  const before = sessionOrder(set, w);
  const head = slotArray(topK(set.size, shape.pool, before));
  const inHead = new Uint8Array(set.size);
  for (const s of head) inHead[s] = 1;
  const below = topK(set.size, shape.newItemSlots, before, (s) => inHead[s] === 1 || !isNew(s));
  for (const s of below) head.push(s);
  reserveNewArrivalSlots(head, shape.limit, shape.newItemSlots, isNew);
  return head.slice(0, shape.pool);
}

/** The session's distinct items, each at its last position (a cart may list an item twice). */
export function distinctLast(session: readonly string[]): string[] {
  const last = new Map<string, number>();
  session.forEach((id, i) => last.set(id, i));
  return session.filter((id, i) => last.get(id) === i);
}

/** The source that contributed most to a candidate's score: what its `reason` names. */
export type SessionSource = 'transitions' | 'co-purchase' | 'vector' | 'trending' | 'popular';

export function mainSource(set: SessionCandidateSet, w: SessionBlend, i: number): SessionSource {
  // Only a source that holds the item can be its reason; the vector is the fallback (every candidate has a cosine).
  // Sources are weighed in this order and a later one wins only by weighing strictly more. Every served item asks,
  // so no term is allocated.
  let source: SessionSource = 'vector';
  let best = w.cos * set.cos[i] + w.cosFlat * set.cosFlat[i];
  const better = (s: SessionSource, value: number) => {
    if (value > best) {
      source = s;
      best = value;
    }
  };
  if (set.trans[i] > 0) better('transitions', w.trans * set.trans[i] + w.transRecent * set.transRecent[i]);
  if (set.knn[i] > 0) better('co-purchase', w.knn * set.knn[i] + w.knnRecent * set.knnRecent[i]);
  if (set.logTrend[i] > 0) better('trending', w.trend * set.logTrend[i]);
  if (set.logPop[i] > 0) better('popular', w.pop * set.logPop[i]);
  return source;
}
