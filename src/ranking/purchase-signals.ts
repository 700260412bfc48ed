import { DenseIds } from './dense-ids';
import { compareIds } from './ids';
import { buildItemKnn, DEFAULT_BUYERS, DEFAULT_KNN_NEIGHBORS, type BuyerWeighting } from './item-knn';
import { NeighbourLists, type ItemNeighbours } from './neighbour-lists';
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

/** Pseudo-buyers at the shop-wide re-order rate added to every item's own, so rarely sold items stay near it. */
const REORDER_PRIOR_BUYERS = 5;

export const TRENDING_DAYS = 30;

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
  private readonly rows = new DenseIds();
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

  constructor(
    counts: readonly ItemBuyerCounts[],
    private readonly lists: NeighbourLists,
    readonly asOf: Date,
    /** "After A, shoppers took B": first-order transitions between consecutive baskets (see transitions.ts). */
    private readonly transitionLists: NeighbourLists = NeighbourLists.EMPTY,
  ) {
    // Every step is a pass over typed arrays by row, with one string lookup per item at most: on a large shop
    // (100k items) this runs on the event loop at every popularity refresh and every co-purchase load.
    let buyerSum = 0;
    let repeatSum = 0;
    const rowOfCount = new Int32Array(counts.length).fill(-1);
    counts.forEach((c, k) => {
      if (c.buyers > 0 || c.recentBuyers > 0) rowOfCount[k] = this.rows.intern(c.itemId);
      buyerSum += c.buyers;
      repeatSum += c.repeatBuyers;
    });
    this.shopReorderRate = buyerSum > 0 ? repeatSum / buyerSum : 0;
    this.counted = this.rows.size;
    this.itemRowOfListRow = new Int32Array(lists.idOfRow.length);
    lists.idOfRow.forEach((id, r) => (this.itemRowOfListRow[r] = this.rows.intern(id)));
    const n = this.rows.size;
    this.buyersAt = new Float64Array(n);
    this.recentBuyersAt = new Float64Array(n);
    this.repeatBuyersAt = new Float64Array(n);
    // An item counted twice has what its last count says.
    counts.forEach((c, k) => {
      const r = rowOfCount[k];
      if (r < 0) return;
      this.buyersAt[r] = c.buyers;
      this.recentBuyersAt[r] = c.recentBuyers;
      this.repeatBuyersAt[r] = c.repeatBuyers;
    });
    this.logBuyersAt = this.buyersAt.map(Math.log1p);
    this.logRecentBuyersAt = this.recentBuyersAt.map(Math.log1p);
    this.reorderRateAt = this.buyersAt.map((buyers, r) => this.reorderRateOf(buyers, this.repeatBuyersAt[r]));
    this.listRowAt = new Int32Array(n).fill(-1);
    for (let r = 0; r < this.itemRowOfListRow.length; r++) this.listRowAt[this.itemRowOfListRow[r]] = r;
    this.transitionRowAt = new Int32Array(n).fill(-1);
    this.transitionItemRows = new Int32Array(transitionLists.idOfRow.length);
    transitionLists.idOfRow.forEach((id, r) => {
      const itemRow = this.rows.numberOf(id);
      this.transitionItemRows[r] = itemRow;
      if (itemRow >= 0) this.transitionRowAt[itemRow] = r;
    });
    // By count descending, then id: sorting rows by the typed arrays rather than ids through the maps.
    const byCount = (values: Float64Array, ties: (a: number, b: number) => number) => {
      const rows: number[] = [];
      for (let r = 0; r < this.counted; r++) if (values[r] > 0) rows.push(r);
      return Int32Array.from(rows.sort((a, b) => values[b] - values[a] || ties(a, b)));
    };
    const ids = this.rows.ids;
    this.popularRows = byCount(this.buyersAt, (a, b) => compareIds(ids[a], ids[b]));
    this.trendingRows = byCount(this.recentBuyersAt, (a, b) => (ids[a] < ids[b] ? -1 : 1));
    this.popular = Array.from(this.popularRows, (r) => ids[r]);
    this.trending = Array.from(this.trendingRows, (r) => ids[r]);
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
    const since = asOf.getTime() - trendingDays * 86_400_000;
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
  parts(): { counts: ItemBuyerCounts[]; lists: NeighbourLists; transitions: NeighbourLists; asOf: Date } {
    return { counts: this.counts(), lists: this.lists, transitions: this.transitionLists, asOf: this.asOf };
  }

  /** The same neighbour lists with other counts (a popularity refresh). */
  withCounts(counts: readonly ItemBuyerCounts[], asOf: Date): PurchaseSignals {
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
    return (repeat + REORDER_PRIOR_BUYERS * this.shopReorderRate) / (buyers + REORDER_PRIOR_BUYERS);
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
  private counts(): ItemBuyerCounts[] {
    return this.rows.ids.slice(0, this.counted).map((itemId, r) => ({
      itemId,
      buyers: this.buyersAt[r],
      recentBuyers: this.recentBuyersAt[r],
      repeatBuyers: this.repeatBuyersAt[r],
    }));
  }
}
