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

const RANKED_FIRST = 512;

/** Reorders `a` so that its first `k` elements are the k smallest under `cmp` (quickselect, in place). */
export function selectTop(a: Int32Array, k: number, cmp: (x: number, y: number) => number): void {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi && k > lo && k <= hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (cmp(a[i], pivot) < 0) i++;
      while (cmp(a[j], pivot) > 0) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    // [lo, j] ≤ pivot ≤ [i, hi]; keep partitioning the side that holds the k-th boundary.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** Co-purchase scores of the neighbours of a set of items (see InteractionModel.withCoPurchase). */
export interface CoPurchaseScores {
  /**
   * Σ over the sources of sim(source, id) (0 when no source has it as a neighbour), and the source with the
   * largest single similarity to it.
   */
  of(id: string): { score: number; via?: string };
  /** Every neighbour of any source, by score descending (ties: the model's item order). */
  ranked(): Iterable<string>;
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

  /**
   * Co-purchase scores of every neighbour of `sources` (Σ of similarities, and the source with the strongest
   * one), handed to `use` while they live in scratch arrays reused across calls: a personalised list touches
   * ~10k (source, neighbour) pairs, too many for a Map of objects per request. `use` must be synchronous.
   */
  withCoPurchase<T>(sources: readonly string[], use: (scores: CoPurchaseScores) => T): T {
    const knn = this.knn;
    const n = knn.itemIds.length;
    this.scratch ??= {
      sum: new Float64Array(n),
      best: new Float64Array(n),
      via: new Int32Array(n),
      touched: new Int32Array(n),
    };
    const { sum, best, via, touched } = this.scratch;
    let count = 0;
    sources.forEach((source, s) => {
      const j = knn.itemIndex.get(source);
      if (j === undefined) return;
      for (let p = knn.offsets[j]; p < knn.offsets[j + 1]; p++) {
        const r = knn.neighbors[p];
        const sim = knn.similarities[p];
        if (sum[r] === 0) touched[count++] = r;
        sum[r] += sim;
        if (sim > best[r]) {
          best[r] = sim;
          via[r] = s;
        }
      }
    });
    try {
      const of = (id: string): { score: number; via?: string } => {
        const r = knn.itemIndex.get(id);
        return r === undefined || sum[r] === 0 ? { score: 0 } : { score: sum[r], via: sources[via[r]] };
      };
      const ranked = function* (): Generator<string> {
        // Callers stop after a few hundred: order the strongest RANKED_FIRST fully, the rest only if asked.
        const rows = touched.slice(0, count);
        const byScore = (a: number, b: number) => sum[b] - sum[a] || a - b;
        const head = Math.min(count, RANKED_FIRST);
        selectTop(rows, head, byScore);
        const first = rows.subarray(0, head).sort(byScore);
        for (const r of first) yield knn.itemIds[r];
        for (const r of rows.subarray(head).sort(byScore)) yield knn.itemIds[r];
      };
      return use({ of, ranked });
    } finally {
      for (let i = 0; i < count; i++) {
        const r = touched[i];
        sum[r] = 0;
        best[r] = 0;
      }
    }
  }

  private scratch?: { sum: Float64Array; best: Float64Array; via: Int32Array; touched: Int32Array };

  static empty(asOf = new Date()): InteractionModel {
    return new InteractionModel([], asOf);
  }
}
