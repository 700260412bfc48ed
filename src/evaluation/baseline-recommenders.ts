import type { Protocol, Recommender } from './evaluation.types';
import { compareIds } from '../ranking/ids';
import { buildItemKnn, DEFAULT_KNN_NEIGHBORS, type ItemKnnModel } from '../ranking/item-knn';
import { buildPurchaseMatrix, type PurchaseMatrix } from '../ranking/purchase-matrix';
import { topKByScore } from '../ranking/top-k';
import { basketsByUser, buildTransitions, DEFAULT_TRANSITION_NEIGHBORS } from '../ranking/transitions';
import { fillWithPopularity } from './ranking';
import type { Purchase } from './evaluation.types';

/** Pre-trained vector of an item, or undefined when the encoder has none for it. */
export type ItemVectorLookup = (itemId: string) => Float32Array | undefined;

/** Items ranked by distinct pre-cutoff buyers. */
export function popRecommender(stats: PurchaseMatrix): Recommender {
  return (_user, k, exclude) => fillWithPopularity([], stats.popularity, k, exclude);
}

/** "Buy it again": own items by pre-cutoff purchase rows, ties by distinct buyers, then id. */
export function repeatRecommender(stats: PurchaseMatrix): Recommender {
  return (user, k, exclude) => {
    const rows = new Map<string, number>();
    for (const purchase of user.history) rows.set(purchase.itemId, (rows.get(purchase.itemId) ?? 0) + 1);
    const buyersOf = (id: string): number => {
      const index = stats.itemIndex.get(id);
      return index === undefined ? 0 : stats.distinctBuyers[index];
    };
    const own = [...rows.keys()].sort(
      (a, b) => (rows.get(b) ?? 0) - (rows.get(a) ?? 0) || buyersOf(b) - buyersOf(a) || compareIds(a, b),
    );
    return fillWithPopularity(own, stats.popularity, k, exclude);
  };
}

/** score(i) = Σ over the user's distinct history items j of sim(i, j), using j's pruned neighbour list. */
export function itemKnnRecommender(model: ItemKnnModel, popularity: readonly string[]): Recommender {
  const scores = new Float64Array(model.itemIds.length);
  const touched = new Int32Array(model.itemIds.length);
  return (user, k, exclude) => {
    // Ascending item index = a fixed summation order, so equal scores come out bit-identical run after run.
    const history = [...new Set(user.history.map((purchase) => purchase.itemId))]
      .map((id) => model.itemIndex.get(id))
      .filter((index): index is number => index !== undefined)
      .sort((a, b) => a - b);
    let touchedCount = 0;
    for (const j of history) {
      for (let n = model.offsets[j]; n < model.offsets[j + 1]; n++) {
        const i = model.neighbors[n];
        if (scores[i] === 0) touched[touchedCount++] = i;
        scores[i] += model.similarities[n];
      }
    }
    const top = topKByScore(touched, touchedCount, scores, k, (i) => exclude.has(model.itemIds[i]));
    for (let t = 0; t < touchedCount; t++) scores[touched[t]] = 0;
    return fillWithPopularity(
      top.map((i) => model.itemIds[i]),
      popularity,
      k,
      exclude,
    );
  };
}

/**
 * First-order Markov chain between consecutive baskets: score(i) = Σ over the distinct items a of the user's
 * history (in the session protocol: the session) of P(i | a), the share of baskets holding a whose next basket
 * held i (transitions.ts, the table the co-purchase job stores, but as the classic chain counts it: every
 * sequence, however many pairs it holds).
 */
export function markovRecommender(training: readonly Purchase[], popularity: readonly string[]): Recommender {
  const model = buildTransitions(
    basketsByUser(training.map((p) => ({ userId: p.userId, itemId: p.itemId, at: p.timestamp }))).values(),
    DEFAULT_TRANSITION_NEIGHBORS,
    undefined,
    Infinity,
  );
  return itemKnnRecommender(model, popularity);
}

export interface ContentRecommenderOptions {
  /** The catalog to rank; items the lookup has no vector for are left to the popularity fill-up. */
  candidates: readonly string[];
  vectorOf: ItemVectorLookup;
  popularity: readonly string[];
}

/**
 * Raw pre-trained embeddings: user = Σ over distinct history items of log(1 + purchase rows) · vector; items
 * ranked by dot product. The candidate vectors are packed into one Float32Array once, as the scan over the whole
 * catalog runs for every test user.
 */
export function contentRecommender(options: ContentRecommenderOptions): Recommender {
  const ids: string[] = [];
  const rows: Float32Array[] = [];
  for (const id of [...new Set(options.candidates)].sort(compareIds)) {
    const vector = options.vectorOf(id);
    if (vector === undefined) continue;
    if (rows.length > 0 && vector.length !== rows[0].length) {
      throw new Error(
        `content baseline: item ${id} has a ${vector.length}-d vector, expected ${rows[0].length}`,
      );
    }
    ids.push(id);
    rows.push(vector);
  }
  const dim = rows.length > 0 ? rows[0].length : 0;
  const matrix = new Float32Array(ids.length * dim);
  rows.forEach((vector, row) => matrix.set(vector, row * dim));
  const order = Int32Array.from(ids, (_, index) => index);
  const scores = new Float64Array(ids.length);

  return (user, k, exclude) => {
    const purchaseRows = new Map<string, number>();
    for (const purchase of user.history) {
      purchaseRows.set(purchase.itemId, (purchaseRows.get(purchase.itemId) ?? 0) + 1);
    }
    const profile = new Float64Array(dim);
    let used = 0;
    for (const [id, count] of purchaseRows) {
      const vector = options.vectorOf(id);
      if (vector === undefined || vector.length !== dim) continue;
      const weight = Math.log(1 + count);
      for (let d = 0; d < dim; d++) profile[d] += weight * vector[d];
      used++;
    }
    // No usable history vector: every dot would be 0 and the list would just be the lowest ids; pop is honest.
    if (used === 0) return fillWithPopularity([], options.popularity, k, exclude);

    for (let row = 0; row < ids.length; row++) {
      let dot = 0;
      const base = row * dim;
      for (let d = 0; d < dim; d++) dot += profile[d] * matrix[base + d];
      scores[row] = dot;
    }
    const top = topKByScore(order, ids.length, scores, k, (row) => exclude.has(ids[row]));
    return fillWithPopularity(
      top.map((row) => ids[row]),
      options.popularity,
      k,
      exclude,
    );
  };
}

export interface BaselineOptions {
  /** Neighbours kept per item by itemknn (protocol: 100). */
  knnNeighbors?: number;
  /** Adds the content baseline when an encoder is available. */
  content?: { candidates: readonly string[]; vectorOf: ItemVectorLookup };
}

export interface Baselines {
  stats: PurchaseMatrix;
  recommenders: Record<string, Recommender>;
  /** repeat is meaningless in discovery, where every own item is excluded. */
  restrictTo: Record<string, readonly Protocol[]>;
}

/** The baselines of docs/evaluation.md, all fitted on the pre-cutoff purchases only. */
export function buildBaselines(training: readonly Purchase[], options: BaselineOptions = {}): Baselines {
  const stats = buildPurchaseMatrix(training);
  const recommenders: Record<string, Recommender> = {
    pop: popRecommender(stats),
    repeat: repeatRecommender(stats),
    itemknn: itemKnnRecommender(
      buildItemKnn(stats, options.knnNeighbors ?? DEFAULT_KNN_NEIGHBORS),
      stats.popularity,
    ),
    markov: markovRecommender(training, stats.popularity),
  };
  if (options.content) {
    recommenders.content = contentRecommender({ ...options.content, popularity: stats.popularity });
  }
  return { stats, recommenders, restrictTo: { repeat: ['next-basket'], markov: ['session', 'in-visit'] } };
}
