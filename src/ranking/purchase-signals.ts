import { DenseIds } from './dense-ids';
import { buildItemKnn, DEFAULT_BUYERS, DEFAULT_KNN_NEIGHBORS, type BuyerWeighting } from './item-knn';
import { NeighbourLists, type ItemNeighbours } from './neighbour-lists';
import { drain, runPaced, sortRowsPaced, type Paced } from './paced';
import { buildPurchaseMatrix } from './purchase-matrix';
import { topRowsByValue } from './top-k';

/** A (user, item) purchase aggregate: how many purchase events, and the latest. */
export interface PurchasePair {
  userId: string;
  itemId: string;
  rows: number;
  lastAt: Date;
}

/** Distinct buyers of an item, all-time and in the trending window, and how many bought it more than once. */
export interface ItemBuyerCounts {
  itemId: string;
  buyers: number;
  recentBuyers: number;
  repeatBuyers: number;
}

/**
 * The same counts as columns: what a model passes to another thread. A structured clone of 100k count objects
 * took ~85 ms of the event loop; an id array and three typed arrays take a few.
 */
export interface BuyerCountColumns {
  ids: readonly string[];
  buyers: Float64Array;
  recentBuyers: Float64Array;
  repeatBuyers: Float64Array;
}

/** Counts as columns (as they are when already columns). */
export function countColumns(counts: readonly ItemBuyerCounts[] | BuyerCountColumns): BuyerCountColumns {
  if (!Array.isArray(counts)) return counts as BuyerCountColumns;
  const list = counts as readonly ItemBuyerCounts[];
  const n = list.length;
  const ids = new Array<string>(n);
  const buyers = new Float64Array(n);
  const recentBuyers = new Float64Array(n);
  const repeatBuyers = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const c = list[k];
    ids[k] = c.itemId;
    buyers[k] = c.buyers;
    recentBuyers[k] = c.recentBuyers;
    repeatBuyers[k] = c.repeatBuyers;
  }
  return { ids, buyers, recentBuyers, repeatBuyers };
}

/** Pseudo-buyers at the shop-wide re-order rate added to every item's own, so rarely sold items stay near it. */
const REORDER_PRIOR_BUYERS = 5;

export const TRENDING_DAYS = 30;

const DAY_MS = 86_400_000;

/**
 * The end of the trending window for signals counted as of `asOfMs`, given the time of the shop's latest learned
 * event before it (undefined: none). A shop selling within the window is counted up to `asOfMs` itself, as
 * always. One whose latest sale is older than the window — a history replayed into a new server years later,
 * a shop closed for the season — is counted up to just after that sale: its trending items are what sold in
 * its own last `days` days rather than none at all. The fine-tune tunes the blends' trending weight on the
 * history's own days (blend-gate.ts), and served on an empty window that weight would read 0 for every item
 * (`aisle eval --wall-clock`: discovery NDCG@10 0.0630 counted up to the clock, 0.1000 up to the history's end;
 * README "Serving counts as of the latest sale too").
 */
export function trendingWindowEnd(
  asOfMs: number,
  latestMs: number | undefined,
  days = TRENDING_DAYS,
): number {
  if (latestMs === undefined || latestMs >= asOfMs || asOfMs - latestMs <= days * DAY_MS) return asOfMs;
  return latestMs + 1;
}

const RANKED_FIRST = 512;

/** Co-purchase scores of the neighbours of a set of items (see PurchaseSignals.withCoPurchase). */
export interface CoPurchaseScores {
  /**
   * Σ over the sources of sim(source, id) (0 when no source has it as a neighbour), and the source with the
   * largest single similarity to it.
   */
  of(id: string): { score: number; via?: string };
  /** The scratch row of a scored id, −1 when no source has it as a neighbour: one lookup for scoreAt and viaAt. */
  rowOf(id: string): number;
  /** rowOf for an item known by its dense row in the model (PurchaseSignals.rowOf): no string lookup. */
  rowOfItem(itemRow: number): number;
  scoreAt(row: number): number;
  viaAt(row: number): string;
  /**
   * Every neighbour of any source, by score descending (ties: the lists' row order). The first `expect` are
   * ordered up front, the rest only if iterated that far.
   */
  ranked(expect?: number): Iterable<string>;
  /** ranked() as scratch rows: the id of row r is `idAt(r)`, its dense row in the model `itemRowAt(r)`. */
  rankedRows(expect?: number): Iterable<number>;
  idAt(row: number): string;
  itemRowAt(row: number): number;
}

/**
 * What the shop's purchase history says about items, independent of any one user: distinct buyers
 * (popularity), buyers in the recent window (trending) and item-to-item co-purchase neighbours (cosine on the
 * binary user×item matrix, top 100 per item) — the same definition as the itemknn baseline of evaluation.md.
 */
export class PurchaseSignals {
  /** Share of all (buyer, item) pairs with more than one purchase: the prior of `reorderRate`. */
  readonly shopReorderRate: number;
  /** Item ids by distinct buyers descending, then id. */
  readonly popular: string[];
  readonly trending: string[];
  /** `popular` and `trending` as dense rows (see rowOf). */
  readonly popularRows: Int32Array;
  readonly trendingRows: Int32Array;

  /**
   * Every item with purchases or co-purchase neighbours numbered densely, and what the ranking reads of each
   * by that row, computed once per model rather than per candidate of every request: log(1 + buyers),
   * log(1 + recent buyers), the re-order rate, and the item's row in the co-purchase lists (−1: none).
   */
  private readonly rows: DenseIds;
  /** Rows 0 … counted−1 are the items the counts name (with buyers or recent buyers); the rest only neighbours. */
  private readonly counted: number;
  readonly buyersAt: Float64Array;
  /** Distinct buyers in the trending window, and buyers who bought more than once. */
  readonly recentBuyersAt: Float64Array;
  readonly repeatBuyersAt: Float64Array;
  readonly logBuyersAt: Float64Array;
  readonly logRecentBuyersAt: Float64Array;
  readonly reorderRateAt: Float64Array;
  private readonly listRowAt: Int32Array;
  /** The item's row in the transition lists (−1: none). */
  private readonly transitionRowAt: Int32Array;
  /** The model row of each co-purchase list row. */
  private readonly itemRowOfListRow: Int32Array;
  /** The model row of each transition list row (−1: an item the counts do not hold). */
  private readonly transitionItemRows: Int32Array;
  /** Each row's own co-purchase list and transition list, by its place in them (NeighbourLists.at; −1: none). */
  private readonly neighbourListAt: Int32Array;
  private readonly transitionListAt: Int32Array;

  constructor(
    counts: readonly ItemBuyerCounts[] | BuyerCountColumns,
    private readonly lists: NeighbourLists,
    readonly asOf: Date,
    /** "After A, shoppers took B": first-order transitions between consecutive baskets (see transitions.ts). */
    private readonly transitionLists: NeighbourLists = NeighbourLists.EMPTY,
    /** What prepareSignals made of the same counts and lists (PurchaseSignals.paced); made here when not given. */
    built: BuiltSignals = drain(prepareSignals(countColumns(counts), lists, transitionLists)),
  ) {
    this.rows = built.rows;
    this.counted = built.counted;
    this.shopReorderRate = built.shopReorderRate;
    this.buyersAt = built.buyersAt;
    this.recentBuyersAt = built.recentBuyersAt;
    this.repeatBuyersAt = built.repeatBuyersAt;
    this.logBuyersAt = built.logBuyersAt;
    this.logRecentBuyersAt = built.logRecentBuyersAt;
    this.reorderRateAt = built.reorderRateAt;
    this.listRowAt = built.listRowAt;
    this.transitionRowAt = built.transitionRowAt;
    this.itemRowOfListRow = built.itemRowOfListRow;
    this.transitionItemRows = built.transitionItemRows;
    this.neighbourListAt = built.neighbourListAt;
    this.transitionListAt = built.transitionListAt;
    this.popularRows = built.popularRows;
    this.trendingRows = built.trendingRows;
    this.popular = built.popular;
    this.trending = built.trending;
  }

  /**
   * As the constructor, built a slice at a time with `between()` awaited after each: on a serving process,
   * where a large shop's signals (100k items) held the event loop for ~125 ms at every popularity refresh and
   * every co-purchase load.
   */
  static async paced(
    counts: readonly ItemBuyerCounts[] | BuyerCountColumns,
    lists: NeighbourLists,
    asOf: Date,
    transitionLists: NeighbourLists,
    between: () => Promise<void>,
  ): Promise<PurchaseSignals> {
    const built = await runPaced(prepareSignals(countColumns(counts), lists, transitionLists), between);
    return new PurchaseSignals(counts, lists, asOf, transitionLists, built);
  }

  /** Every item with a row, by row (see rowOf). */
  get idsByRow(): readonly string[] {
    return this.rows.ids;
  }

  /** The dense row of an item in the per-item arrays, −1 for an item never bought nor anyone's neighbour. */
  rowOf(id: string): number {
    return this.rows.numberOf(id);
  }

  /**
   * The item's row in the co-purchase lists (NeighbourLists.rowOf), −1 when it is nobody's neighbour; `itemRow`
   * is its rowOf, which answers without a string lookup when the item has one.
   */
  neighbourRowOf(id: string, itemRow: number): number {
    return itemRow >= 0 ? this.listRowAt[itemRow] : this.lists.rowOf(id);
  }

  /** The rowOf of the item at co-purchase list row `r` (NeighbourLists.idOfRow): no string lookup. */
  itemRowOfNeighbourRow(r: number): number {
    return this.itemRowOfListRow[r];
  }

  /** The rowOf of the item at transition list row `r`, −1 when it has none. */
  itemRowOfTransitionRow(r: number): number {
    return this.transitionItemRows[r];
  }

  /** As neighbourRowOf, in the transition lists. */
  transitionRowOf(id: string, itemRow: number): number {
    return itemRow >= 0 ? this.transitionRowAt[itemRow] : this.transitionLists.rowOf(id);
  }

  /**
   * Everything computed in memory from purchase aggregates (blend tuning on a holdout, specs); `buyers` as the
   * co-purchase job's (COPURCHASE_BUYER_DAMPING, COPURCHASE_MAX_BUYER_ITEMS).
   */
  static fromPairs(
    pairs: readonly PurchasePair[],
    asOf: Date,
    trendingDays = TRENDING_DAYS,
    transitions: NeighbourLists = NeighbourLists.EMPTY,
    buyers: BuyerWeighting = DEFAULT_BUYERS,
  ): PurchaseSignals {
    let latest: number | undefined;
    for (const p of pairs) {
      const t = p.lastAt.getTime();
      if (t < asOf.getTime() && (latest === undefined || t > latest)) latest = t;
    }
    const since = trendingWindowEnd(asOf.getTime(), latest, trendingDays) - trendingDays * DAY_MS;
    const stats = buildPurchaseMatrix(pairs);
    const recent = new Map<string, number>();
    const repeat = new Map<string, number>();
    for (const p of pairs) {
      if (p.lastAt.getTime() >= since) recent.set(p.itemId, (recent.get(p.itemId) ?? 0) + 1);
      if (p.rows >= 2) repeat.set(p.itemId, (repeat.get(p.itemId) ?? 0) + 1);
    }
    const counts = stats.itemIds.map((itemId, i) => ({
      itemId,
      buyers: stats.distinctBuyers[i],
      recentBuyers: recent.get(itemId) ?? 0,
      repeatBuyers: repeat.get(itemId) ?? 0,
    }));
    return new PurchaseSignals(
      counts,
      NeighbourLists.fromKnn(buildItemKnn(stats, DEFAULT_KNN_NEIGHBORS, buyers)),
      asOf,
      transitions,
    );
  }

  static empty(asOf = new Date()): PurchaseSignals {
    return new PurchaseSignals([], NeighbourLists.EMPTY, asOf);
  }

  /** The same counts with other neighbour and transition lists (a newer co-purchase computation). */
  withNeighbours(lists: NeighbourLists, transitions: NeighbourLists = NeighbourLists.EMPTY): PurchaseSignals {
    return new PurchaseSignals(this.counts(), lists, this.asOf, transitions);
  }

  /** The same counts and co-purchase lists with other transition lists (the gate learns them on its own). */
  withTransitions(transitions: NeighbourLists): PurchaseSignals {
    return new PurchaseSignals(this.counts(), this.lists, this.asOf, transitions);
  }

  /**
   * What this model is made of, for another thread to make the same model: `new PurchaseSignals(...)` over them
   * answers every question alike and numbers every item with the same row (rowOf), so rows may cross threads.
   */
  parts(): { counts: BuyerCountColumns; lists: NeighbourLists; transitions: NeighbourLists; asOf: Date } {
    return { counts: this.counts(), lists: this.lists, transitions: this.transitionLists, asOf: this.asOf };
  }

  /** withNeighbours, built a slice at a time (PurchaseSignals.paced). */
  withNeighboursPaced(
    lists: NeighbourLists,
    transitions: NeighbourLists,
    between: () => Promise<void>,
  ): Promise<PurchaseSignals> {
    return PurchaseSignals.paced(this.counts(), lists, this.asOf, transitions, between);
  }

  /** withCounts, built a slice at a time (PurchaseSignals.paced). */
  withCountsPaced(
    counts: readonly ItemBuyerCounts[],
    asOf: Date,
    between: () => Promise<void>,
  ): Promise<PurchaseSignals> {
    return PurchaseSignals.paced(counts, this.lists, asOf, this.transitionLists, between);
  }

  /** The same neighbour lists with other counts (a popularity refresh). */
  withCounts(counts: readonly ItemBuyerCounts[] | BuyerCountColumns, asOf: Date): PurchaseSignals {
    return new PurchaseSignals(counts, this.lists, asOf, this.transitionLists);
  }

  /** Items that have co-purchase neighbours. */
  get neighbourItems(): number {
    return this.lists.size;
  }

  /**
   * How likely a buyer of the item buys it again: its share of buyers who bought it more than once, pulled
   * towards the shop's rate for thinly sold items. Consumables score high, one-off purchases low.
   */
  reorderRate(id: string): number {
    const r = this.rows.numberOf(id);
    return r < 0 ? this.reorderRateOf(0, 0) : this.reorderRateAt[r];
  }

  private reorderRateOf(buyers: number, repeat: number): number {
    return reorderRate(buyers, repeat, this.shopReorderRate);
  }

  recentBuyersOf(id: string): number {
    const r = this.rows.numberOf(id);
    return r < 0 ? 0 : this.recentBuyersAt[r];
  }

  buyersOf(id: string): number {
    const r = this.rows.numberOf(id);
    return r < 0 ? 0 : this.buyersAt[r];
  }

  /** Co-purchase neighbours of an item, most similar first, as parallel arrays (no allocation per call). */
  neighboursOf(id: string): ItemNeighbours {
    return this.lists.of(id);
  }

  /** The items most often bought in the basket after one holding `id`, most likely first, with P(b | id). */
  transitionsOf(id: string): ItemNeighbours {
    return this.transitionLists.of(id);
  }

  /**
   * neighboursOf and transitionsOf for an item known by its row (rowOf): no string lookup. A session list reads
   * both lists of each of its items, and a cart's ids arrive as new strings: each map lookup hashed one and
   * compared it with the map's own copy, several per item (~3 % of a gathering on the session thread).
   */
  neighboursAt(itemRow: number): ItemNeighbours {
    return this.lists.at(this.neighbourListAt[itemRow]);
  }

  transitionsAt(itemRow: number): ItemNeighbours {
    return this.transitionLists.at(this.transitionListAt[itemRow]);
  }

  /** Items that have learned successors. */
  get transitionItems(): number {
    return this.transitionLists.size;
  }

  /**
   * Co-purchase scores of every neighbour of `sources` (Σ of similarities, and the source with the strongest
   * one), handed to `use` while they live in scratch arrays reused across calls: a personalised list touches
   * ~10k (source, neighbour) pairs, too many for a Map of objects per request. `use` must be synchronous.
   */
  withCoPurchase<T>(sources: readonly string[], use: (scores: CoPurchaseScores) => T): T {
    const lists = this.lists;
    const n = lists.idOfRow.length;
    if (!this.scratch || this.scratch.sum.length !== n) {
      this.scratch = {
        sum: new Float64Array(n),
        best: new Float64Array(n),
        via: new Int32Array(n),
        touched: new Int32Array(n),
      };
    }
    const { sum, best, via, touched } = this.scratch;
    const listRowAt = this.listRowAt;
    const itemRowOfListRow = this.itemRowOfListRow;
    let count = 0;
    sources.forEach((source, s) => {
      const { rows, sims } = lists.of(source);
      for (let p = 0; p < rows.length; p++) {
        const r = rows[p];
        const sim = sims[p];
        if (sum[r] === 0) touched[count++] = r;
        sum[r] += sim;
        if (sim > best[r]) {
          best[r] = sim;
          via[r] = s;
        }
      }
    });
    try {
      const rowOf = (id: string): number => {
        const r = lists.rowOf(id);
        return r < 0 || sum[r] === 0 ? -1 : r;
      };
      const rowOfItem = (itemRow: number): number => {
        const r = listRowAt[itemRow];
        return r < 0 || sum[r] === 0 ? -1 : r;
      };
      const scoreAt = (r: number): number => sum[r];
      const viaAt = (r: number): string => sources[via[r]];
      const of = (id: string): { score: number; via?: string } => {
        const r = rowOf(id);
        return r < 0 ? { score: 0 } : { score: sum[r], via: sources[via[r]] };
      };
      const rankedRows = function* (expect = RANKED_FIRST): Generator<number> {
        const rows = touched.subarray(0, count);
        const head = topRowsByValue(rows, count, sum, expect);
        for (const r of head) yield r;
        if (count <= head.length) return;
        const all = rows.slice().sort((a, b) => sum[b] - sum[a] || a - b);
        for (let i = head.length; i < count; i++) yield all[i];
      };
      const idAt = (r: number): string => lists.idOfRow[r];
      const ranked = function* (expect?: number): Generator<string> {
        for (const r of rankedRows(expect)) yield lists.idOfRow[r];
      };
      const itemRowAt = (r: number): number => itemRowOfListRow[r];
      return use({ of, rowOf, rowOfItem, scoreAt, viaAt, ranked, rankedRows, idAt, itemRowAt });
    } finally {
      for (let i = 0; i < count; i++) {
        const r = touched[i];
        sum[r] = 0;
        best[r] = 0;
      }
    }
  }

  private scratch?: {
    sum: Float64Array;
    best: Float64Array;
    via: Int32Array;
    touched: Int32Array;
  };

  /** Co-purchase neighbours of an item with their cosine similarity. */
  *neighbours(id: string): Generator<[string, number]> {
    const { rows, sims, idOfRow } = this.lists.of(id);
    for (let k = 0; k < rows.length; k++) yield [idOfRow[rows[k]], sims[k]];
  }

  /** The counts, in row order: a model made of them (and the same lists) numbers every item alike. */
  private counts(): BuyerCountColumns {
    return {
      ids: this.rows.ids.slice(0, this.counted),
      buyers: this.buyersAt.slice(0, this.counted),
      recentBuyers: this.recentBuyersAt.slice(0, this.counted),
      repeatBuyers: this.repeatBuyersAt.slice(0, this.counted),
    };
  }
}

/** A re-order rate with the shop's as its prior (REORDER_PRIOR_BUYERS). */
function reorderRate(buyers: number, repeat: number, shopRate: number): number {
  return (repeat + REORDER_PRIOR_BUYERS * shopRate) / (buyers + REORDER_PRIOR_BUYERS);
}

/** What the PurchaseSignals constructor keeps (see there). */
interface BuiltSignals {
  rows: DenseIds;
  counted: number;
  shopReorderRate: number;
  buyersAt: Float64Array;
  recentBuyersAt: Float64Array;
  repeatBuyersAt: Float64Array;
  logBuyersAt: Float64Array;
  logRecentBuyersAt: Float64Array;
  reorderRateAt: Float64Array;
  listRowAt: Int32Array;
  transitionRowAt: Int32Array;
  itemRowOfListRow: Int32Array;
  transitionItemRows: Int32Array;
  neighbourListAt: Int32Array;
  transitionListAt: Int32Array;
  popularRows: Int32Array;
  trendingRows: Int32Array;
  popular: string[];
  trending: string[];
}

/**
 * Each row's place in `lists` (NeighbourLists.at), −1 for an item without a list there: where `of` finds it (an
 * empty list is none; an item named twice, its last place).
 */
function* listPlaces(rows: DenseIds, lists: NeighbourLists): Paced<Int32Array> {
  const at = new Int32Array(rows.size).fill(-1);
  const items = lists.itemIds;
  for (let k = 0; k < items.length; k++) {
    if (lists.lengthAt(k) > 0) {
      const row = rows.numberOf(items[k]);
      if (row >= 0) at[row] = k;
    }
    if ((k + 1) % IDS_PER_SLICE === 0) yield;
  }
  return at;
}

/** Ids interned or looked up between two yields of prepareSignals. */
const IDS_PER_SLICE = 20_000;

/**
 * The signals' per-item arrays, by dense row. Every step is a pass over typed arrays by row, with one string
 * lookup per item at most; the three passes over ids and the two orderings yield between slices.
 */
function* prepareSignals(
  counts: BuyerCountColumns,
  lists: NeighbourLists,
  transitionLists: NeighbourLists,
): Paced<BuiltSignals> {
  const rows = new DenseIds();
  let buyerSum = 0;
  let repeatSum = 0;
  const { ids: countIds, buyers, recentBuyers, repeatBuyers } = counts;
  const rowOfCount = new Int32Array(countIds.length).fill(-1);
  for (let k = 0; k < countIds.length; k++) {
    if (buyers[k] > 0 || recentBuyers[k] > 0) rowOfCount[k] = rows.intern(countIds[k]);
    buyerSum += buyers[k];
    repeatSum += repeatBuyers[k];
    if ((k + 1) % IDS_PER_SLICE === 0) yield;
  }
  const shopReorderRate = buyerSum > 0 ? repeatSum / buyerSum : 0;
  const counted = rows.size;
  const listIds = lists.idOfRow;
  const itemRowOfListRow = new Int32Array(listIds.length);
  for (let r = 0; r < listIds.length; r++) {
    itemRowOfListRow[r] = rows.intern(listIds[r]);
    if ((r + 1) % IDS_PER_SLICE === 0) yield;
  }
  const n = rows.size;
  const buyersAt = new Float64Array(n);
  const recentBuyersAt = new Float64Array(n);
  const repeatBuyersAt = new Float64Array(n);
  // An item counted twice has what its last count says.
  for (let k = 0; k < countIds.length; k++) {
    const r = rowOfCount[k];
    if (r < 0) continue;
    buyersAt[r] = buyers[k];
    recentBuyersAt[r] = recentBuyers[k];
    repeatBuyersAt[r] = repeatBuyers[k];
  }
  const logBuyersAt = buyersAt.map(Math.log1p);
  const logRecentBuyersAt = recentBuyersAt.map(Math.log1p);
  const reorderRateAt = buyersAt.map((buyers, r) => reorderRate(buyers, repeatBuyersAt[r], shopReorderRate));
  const listRowAt = new Int32Array(n).fill(-1);
  for (let r = 0; r < itemRowOfListRow.length; r++) listRowAt[itemRowOfListRow[r]] = r;
  yield;
  const transitionRowAt = new Int32Array(n).fill(-1);
  const transitionIds = transitionLists.idOfRow;
  const transitionItemRows = new Int32Array(transitionIds.length);
  for (let r = 0; r < transitionIds.length; r++) {
    const itemRow = rows.numberOf(transitionIds[r]);
    transitionItemRows[r] = itemRow;
    if (itemRow >= 0) transitionRowAt[itemRow] = r;
    if ((r + 1) % IDS_PER_SLICE === 0) yield;
  }
  const neighbourListAt = yield* listPlaces(rows, lists);
  const transitionListAt = yield* listPlaces(rows, transitionLists);
  // By count descending, then id: ordering rows by the typed arrays rather than ids through the maps.
  const ids = rows.ids;
  const byCount = (values: Float64Array) => {
    const withCount: number[] = [];
    for (let r = 0; r < counted; r++) if (values[r] > 0) withCount.push(r);
    return sortRowsPaced(
      Int32Array.from(withCount),
      (a, b) => values[a] > values[b] || (values[a] === values[b] && ids[a] < ids[b]),
    );
  };
  const popularRows = yield* byCount(buyersAt);
  const trendingRows = yield* byCount(recentBuyersAt);
  return {
    rows,
    counted,
    shopReorderRate,
    buyersAt,
    recentBuyersAt,
    repeatBuyersAt,
    logBuyersAt,
    logRecentBuyersAt,
    reorderRateAt,
    listRowAt,
    transitionRowAt,
    itemRowOfListRow,
    transitionItemRows,
    neighbourListAt,
    transitionListAt,
    popularRows,
    trendingRows,
    popular: Array.from(popularRows, (r) => ids[r]),
    trending: Array.from(trendingRows, (r) => ids[r]),
  };
}
