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
  readonly buyers = new Map<string, number>();
  readonly recentBuyers = new Map<string, number>();
  readonly repeatBuyers = new Map<string, number>();
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
  readonly buyersAt: Float64Array;
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
    let buyerSum = 0;
    let repeatSum = 0;
    for (const c of counts) {
      if (c.buyers > 0) this.buyers.set(c.itemId, c.buyers);
      if (c.recentBuyers > 0) this.recentBuyers.set(c.itemId, c.recentBuyers);
      if (c.repeatBuyers > 0) this.repeatBuyers.set(c.itemId, c.repeatBuyers);
      buyerSum += c.buyers;
      repeatSum += c.repeatBuyers;
    }
    this.shopReorderRate = buyerSum > 0 ? repeatSum / buyerSum : 0;
    this.popular = [...this.buyers.keys()].sort(
      (a, b) => this.buyers.get(b)! - this.buyers.get(a)! || compareIds(a, b),
    );
    this.trending = [...this.recentBuyers.keys()].sort(
      (a, b) => this.recentBuyers.get(b)! - this.recentBuyers.get(a)! || (a < b ? -1 : 1),
    );

    for (const c of counts) if (c.buyers > 0 || c.recentBuyers > 0) this.rows.intern(c.itemId);
    this.itemRowOfListRow = Int32Array.from(lists.idOfRow, (id) => this.rows.intern(id));
    const n = this.rows.size;
    this.buyersAt = new Float64Array(n);
    this.logBuyersAt = new Float64Array(n);
    this.logRecentBuyersAt = new Float64Array(n);
    this.reorderRateAt = new Float64Array(n);
    this.listRowAt = new Int32Array(n);
    this.transitionRowAt = new Int32Array(n);
    this.rows.ids.forEach((id, r) => {
      this.buyersAt[r] = this.buyersOf(id);
      this.logBuyersAt[r] = Math.log1p(this.buyersOf(id));
      this.logRecentBuyersAt[r] = Math.log1p(this.recentBuyersOf(id));
      this.reorderRateAt[r] = this.reorderRate(id);
      this.listRowAt[r] = lists.rowOf(id);
      this.transitionRowAt[r] = transitionLists.rowOf(id);
    });
    this.transitionItemRows = Int32Array.from(transitionLists.idOfRow, (id) => this.rows.numberOf(id));
    this.popularRows = Int32Array.from(this.popular, (id) => this.rows.numberOf(id));
    this.trendingRows = Int32Array.from(this.trending, (id) => this.rows.numberOf(id));
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
    const buyers = this.buyersOf(id);
    const repeat = this.repeatBuyers.get(id) ?? 0;
    return (repeat + REORDER_PRIOR_BUYERS * this.shopReorderRate) / (buyers + REORDER_PRIOR_BUYERS);
  }

  recentBuyersOf(id: string): number {
    return this.recentBuyers.get(id) ?? 0;
  }

  buyersOf(id: string): number {
    return this.buyers.get(id) ?? 0;
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
    const { ids, sims } = this.lists.of(id);
    for (let k = 0; k < ids.length; k++) yield [ids[k], sims[k]];
  }

  /** The counts, in row order: a model made of them (and the same lists) numbers every item alike. */
  private counts(): ItemBuyerCounts[] {
    const ids = this.rows.ids.filter((id) => this.buyers.has(id) || this.recentBuyers.has(id));
    return ids.map((itemId) => ({
      itemId,
      buyers: this.buyersOf(itemId),
      recentBuyers: this.recentBuyers.get(itemId) ?? 0,
      repeatBuyers: this.repeatBuyers.get(itemId) ?? 0,
    }));
  }
}
