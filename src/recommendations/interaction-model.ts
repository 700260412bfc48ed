import { NeighbourLists, type ItemNeighbours } from '../copurchase/neighbour-lists';
import { buildItemKnn } from '../evaluation/item-knn.model';
import { compareIds } from '../evaluation/ranking';
import { buildTrainingStats } from '../evaluation/training-stats';
import type { Purchase } from '../online-retail/online-retail.types';

/** A (user, item) purchase aggregate: how many purchase events, and the latest. */
export interface PurchasePair {
  userId: string;
  itemId: string;
  rows: number;
  lastAt: Date;
}

/** Distinct buyers of an item, all-time and in the trending window. */
export interface ItemBuyerCounts {
  itemId: string;
  buyers: number;
  recentBuyers: number;
}

export const TRENDING_DAYS = 30;

/**
 * What the shop's purchase history says about items, independent of any one user: distinct buyers
 * (popularity), buyers in the recent window (trending) and item-to-item co-purchase neighbours (cosine on the
 * binary user×item matrix, top 100 per item) — the same definition as the itemknn baseline of evaluation.md.
 */
export class InteractionModel {
  readonly buyers = new Map<string, number>();
  readonly recentBuyers = new Map<string, number>();
  /** Item ids by distinct buyers descending, then id. */
  readonly popular: string[];
  readonly trending: string[];

  constructor(
    counts: readonly ItemBuyerCounts[],
    private readonly lists: NeighbourLists,
    readonly asOf: Date,
  ) {
    for (const c of counts) {
      if (c.buyers > 0) this.buyers.set(c.itemId, c.buyers);
      if (c.recentBuyers > 0) this.recentBuyers.set(c.itemId, c.recentBuyers);
    }
    this.popular = [...this.buyers.keys()].sort(
      (a, b) => this.buyers.get(b)! - this.buyers.get(a)! || compareIds(a, b),
    );
    this.trending = [...this.recentBuyers.keys()].sort(
      (a, b) => this.recentBuyers.get(b)! - this.recentBuyers.get(a)! || (a < b ? -1 : 1),
    );
  }

  /** Everything computed in memory from purchase aggregates (blend tuning on a holdout, specs). */
  static fromPairs(
    pairs: readonly PurchasePair[],
    asOf: Date,
    trendingDays = TRENDING_DAYS,
  ): InteractionModel {
    const since = asOf.getTime() - trendingDays * 86_400_000;
    const stats = buildTrainingStats(pairs.map((p) => ({ userId: p.userId, itemId: p.itemId }) as Purchase));
    const recent = new Map<string, number>();
    for (const p of pairs)
      if (p.lastAt.getTime() >= since) recent.set(p.itemId, (recent.get(p.itemId) ?? 0) + 1);
    const counts = stats.itemIds.map((itemId, i) => ({
      itemId,
      buyers: stats.distinctBuyers[i],
      recentBuyers: recent.get(itemId) ?? 0,
    }));
    return new InteractionModel(counts, NeighbourLists.fromKnn(buildItemKnn(stats)), asOf);
  }

  static empty(asOf = new Date()): InteractionModel {
    return new InteractionModel([], NeighbourLists.EMPTY, asOf);
  }

  /** The same counts with other neighbour lists (a newer co-purchase computation). */
  withNeighbours(lists: NeighbourLists): InteractionModel {
    return new InteractionModel(this.counts(), lists, this.asOf);
  }

  /** The same neighbour lists with other counts (a popularity refresh). */
  withCounts(counts: readonly ItemBuyerCounts[], asOf: Date): InteractionModel {
    return new InteractionModel(counts, this.lists, asOf);
  }

  /** Items that have co-purchase neighbours. */
  get neighbourItems(): number {
    return this.lists.size;
  }

  buyersOf(id: string): number {
    return this.buyers.get(id) ?? 0;
  }

  /** Co-purchase neighbours of an item, most similar first, as parallel arrays (no allocation per call). */
  neighboursOf(id: string): ItemNeighbours {
    return this.lists.of(id);
  }

  /** Co-purchase neighbours of an item with their cosine similarity. */
  *neighbours(id: string): Generator<[string, number]> {
    const { ids, sims } = this.lists.of(id);
    for (let k = 0; k < ids.length; k++) yield [ids[k], sims[k]];
  }

  private counts(): ItemBuyerCounts[] {
    const ids = new Set([...this.buyers.keys(), ...this.recentBuyers.keys()]);
    return [...ids].map((itemId) => ({
      itemId,
      buyers: this.buyersOf(itemId),
      recentBuyers: this.recentBuyers.get(itemId) ?? 0,
    }));
  }
}
