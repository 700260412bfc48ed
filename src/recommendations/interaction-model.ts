import { buildItemKnn, type ItemKnnModel } from '../evaluation/item-knn.model';
import { buildTrainingStats } from '../evaluation/training-stats';
import type { Purchase } from '../online-retail/online-retail.types';

/** A (user, item) purchase aggregate: how many purchase events, and the latest. */
export interface PurchasePair {
  userId: string;
  itemId: string;
  rows: number;
  lastAt: Date;
}

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
  private readonly knn: ItemKnnModel;

  constructor(
    pairs: readonly PurchasePair[],
    readonly asOf: Date,
    trendingDays = 30,
  ) {
    const since = asOf.getTime() - trendingDays * 86_400_000;
    const asPurchases = pairs.map((p) => ({ userId: p.userId, itemId: p.itemId }) as Purchase);
    const stats = buildTrainingStats(asPurchases);
    stats.itemIds.forEach((id, i) => this.buyers.set(id, stats.distinctBuyers[i]));
    for (const p of pairs)
      if (p.lastAt.getTime() >= since)
        this.recentBuyers.set(p.itemId, (this.recentBuyers.get(p.itemId) ?? 0) + 1);
    this.popular = [...stats.popularity];
    this.trending = [...this.recentBuyers.keys()].sort(
      (a, b) => this.recentBuyers.get(b)! - this.recentBuyers.get(a)! || (a < b ? -1 : 1),
    );
    this.knn = buildItemKnn(stats);
  }

  buyersOf(id: string): number {
    return this.buyers.get(id) ?? 0;
  }

  /** Co-purchase neighbours of an item with their cosine similarity. */
  *neighbours(id: string): Generator<[string, number]> {
    const j = this.knn.itemIndex.get(id);
    if (j === undefined) return;
    for (let p = this.knn.offsets[j]; p < this.knn.offsets[j + 1]; p++) {
      yield [this.knn.itemIds[this.knn.neighbors[p]], this.knn.similarities[p]];
    }
  }

  static empty(asOf = new Date()): InteractionModel {
    return new InteractionModel([], asOf);
  }
}
