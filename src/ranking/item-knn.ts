import type { PurchaseMatrix } from './purchase-matrix';

export const DEFAULT_KNN_NEIGHBORS = 100;

/** How much each buyer's co-purchases count (buildItemKnn). */
export interface BuyerWeighting {
  /** Each buyer's pairs count 1/(their distinct items)^damping (COPURCHASE_BUYER_DAMPING). */
  damping: number;
  /** Buyers of more distinct items than this are left out; 0: none is (COPURCHASE_MAX_BUYER_ITEMS). */
  maxItems: number;
}

/** The binary cosine of the item-kNN baseline of `aisle eval`: every buyer counts 1. */
export const PLAIN_BUYERS: BuyerWeighting = { damping: 0, maxItems: 0 };

/** The engine's defaults (the co-purchase job's, and the fine-tune gate's). */
export const DEFAULT_BUYERS: BuyerWeighting = { damping: 1, maxItems: 5000 };

/** Whether `buyers` leaves out a buyer of `items` distinct items. */
export function leftOut(buyers: BuyerWeighting, items: number): boolean {
  return buyers.maxItems > 0 && items > buyers.maxItems;
}

// Bound once: the pair loop below runs millions of times, and inside a vm sandbox (jest) every global lookup such as
// `Math` costs hundreds of nanoseconds.
const { sqrt, pow } = Math;

/** Pruned item-item cosine similarities in CSR form: the neighbours of item j are [offsets[j], offsets[j+1]). */
export interface ItemKnnModel {
  itemIds: readonly string[];
  itemIndex: ReadonlyMap<string, number>;
  offsets: Int32Array;
  neighbors: Int32Array;
  similarities: Float64Array;
}

/**
 * Cosine on the user×item matrix whose row for buyer u holds w_u = n_u^−damping on each of the n_u items they
 * bought: sim(i, j) = Σ_{u ∈ buyers(i) ∩ buyers(j)} w_u / sqrt(Σ_{buyers(i)} w_u · Σ_{buyers(j)} w_u). With
 * damping 0 every buyer weighs 1 and this is the binary cosine |buyers(i) ∩ buyers(j)| / sqrt(|buyers(i)|·|buyers(j)|)
 * (the item-kNN baseline's). Why damp: a wholesale account, a reseller or a crawler that bought a thousand items
 * puts a pair between every two of them, a million pairs that say little about any one pair; a shopper's basket of
 * five says much about each of its ten pairs. With damping 1 each buyer spreads the same total weight over their items.
 * Co-occurrence is counted item by item through each buyer's item list into one reusable accumulator array, so
 * memory is O(items + purchases) instead of a dense items² matrix, and the work is Σ_users (distinct items)².
 * A buyer of more than `weighting.maxItems` distinct items is left out: at damping 1 their share of each pair is
 * below 1/maxItems already, and their own work is the square of their items, sorting as many neighbours for each
 * (bench/copurchase-build: one account of 30,000 items took a build of 50,000 shoppers from 1.5 s to 206 s).
 * Each item keeps its `neighborCount` most similar other items (ties → lower id); an item is never its own
 * neighbour, otherwise every history item would get +1 and itemknn would collapse into "buy it again".
 */
export function buildItemKnn(
  stats: PurchaseMatrix,
  neighborCount = DEFAULT_KNN_NEIGHBORS,
  weighting: BuyerWeighting = PLAIN_BUYERS,
): ItemKnnModel {
  const itemCount = stats.itemIds.length;
  const damping = weighting.damping;
  const userLists = [...stats.userItems.values()].filter((items) => !leftOut(weighting, items.length));
  const weights = Float64Array.from(userLists, (items) => (damping === 0 ? 1 : pow(items.length, -damping)));
  // Σ of the weights of each item's buyers (with damping 0, its distinct buyers).
  const mass = new Float64Array(itemCount);
  userLists.forEach((items, user) => {
    for (const item of items) mass[item] += weights[user];
  });

  // Inverted index item → users (as positions in userLists), CSR.
  const buyerOffsets = new Int32Array(itemCount + 1);
  for (const items of userLists) for (const item of items) buyerOffsets[item + 1]++;
  for (let item = 0; item < itemCount; item++) buyerOffsets[item + 1] += buyerOffsets[item];
  const buyers = new Int32Array(buyerOffsets[itemCount]);
  const fill = buyerOffsets.slice(0, itemCount);
  userLists.forEach((items, user) => {
    for (const item of items) buyers[fill[item]++] = user;
  });

  // Weighted co-occurrence of each reached item with item j, and which items were reached (in order first reached).
  const counts = new Float64Array(itemCount);
  const marked = new Uint8Array(itemCount);
  const touched = new Int32Array(itemCount);
  const sims = new Float64Array(itemCount);
  const offsets = new Int32Array(itemCount + 1);
  const neighborChunks: Int32Array[] = [];
  const similarityChunks: Float64Array[] = [];

  for (let j = 0; j < itemCount; j++) {
    let touchedCount = 0;
    for (let b = buyerOffsets[j]; b < buyerOffsets[j + 1]; b++) {
      const user = buyers[b];
      const w = weights[user];
      for (const i of userLists[user]) {
        if (i === j) continue;
        if (marked[i] === 0) {
          marked[i] = 1;
          touched[touchedCount++] = i;
        }
        counts[i] += w;
      }
    }
    const massJ = mass[j];
    for (let t = 0; t < touchedCount; t++) {
      const i = touched[t];
      sims[i] = counts[i] / sqrt(mass[i] * massJ);
      counts[i] = 0;
      marked[i] = 0;
    }
    const kept = touched
      .subarray(0, touchedCount)
      .sort((a, b) => sims[b] - sims[a] || a - b)
      .slice(0, neighborCount);
    neighborChunks.push(kept);
    similarityChunks.push(Float64Array.from(kept, (i) => sims[i]));
    offsets[j + 1] = offsets[j] + kept.length;
  }

  const neighbors = new Int32Array(offsets[itemCount]);
  const similarities = new Float64Array(offsets[itemCount]);
  for (let j = 0; j < itemCount; j++) {
    neighbors.set(neighborChunks[j], offsets[j]);
    similarities.set(similarityChunks[j], offsets[j]);
  }
  return { itemIds: stats.itemIds, itemIndex: stats.itemIndex, offsets, neighbors, similarities };
}
