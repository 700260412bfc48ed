import type { PurchaseMatrix } from './purchase-matrix';

export const DEFAULT_KNN_NEIGHBORS = 100;

// Bound once: the pair loop below runs millions of times, and inside a vm sandbox (jest) every global lookup such as
// `Math` costs hundreds of nanoseconds.
const { sqrt } = Math;

/** Pruned item-item cosine similarities in CSR form: the neighbours of item j are [offsets[j], offsets[j+1]). */
export interface ItemKnnModel {
  itemIds: readonly string[];
  itemIndex: ReadonlyMap<string, number>;
  offsets: Int32Array;
  neighbors: Int32Array;
  similarities: Float64Array;
}

/**
 * Cosine on the binary user×item matrix: sim(i, j) = |buyers(i) ∩ buyers(j)| / sqrt(|buyers(i)|·|buyers(j)|).
 * Co-occurrence is counted item by item through each buyer's item list into one reusable counter array, so memory
 * is O(items + purchases) instead of a dense items² matrix, and the work is Σ_users (distinct items)².
 * Each item keeps its `neighborCount` most similar other items (ties → lower id); an item is never its own
 * neighbour, otherwise every history item would get +1 and itemknn would collapse into "buy it again".
 */
export function buildItemKnn(stats: PurchaseMatrix, neighborCount = DEFAULT_KNN_NEIGHBORS): ItemKnnModel {
  const itemCount = stats.itemIds.length;
  const userLists = [...stats.userItems.values()];

  // Inverted index item → users (as positions in userLists), CSR.
  const buyerOffsets = new Int32Array(itemCount + 1);
  for (const items of userLists) for (const item of items) buyerOffsets[item + 1]++;
  for (let item = 0; item < itemCount; item++) buyerOffsets[item + 1] += buyerOffsets[item];
  const buyers = new Int32Array(buyerOffsets[itemCount]);
  const fill = buyerOffsets.slice(0, itemCount);
  userLists.forEach((items, user) => {
    for (const item of items) buyers[fill[item]++] = user;
  });

  const counts = new Int32Array(itemCount);
  const touched = new Int32Array(itemCount);
  const sims = new Float64Array(itemCount);
  const offsets = new Int32Array(itemCount + 1);
  const neighborChunks: Int32Array[] = [];
  const similarityChunks: Float64Array[] = [];

  for (let j = 0; j < itemCount; j++) {
    let touchedCount = 0;
    for (let b = buyerOffsets[j]; b < buyerOffsets[j + 1]; b++) {
      for (const i of userLists[buyers[b]]) {
        if (i !== j && counts[i]++ === 0) touched[touchedCount++] = i;
      }
    }
    const buyersJ = stats.distinctBuyers[j];
    for (let t = 0; t < touchedCount; t++) {
      const i = touched[t];
      sims[i] = counts[i] / sqrt(stats.distinctBuyers[i] * buyersJ);
      counts[i] = 0;
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
