import {
  markovRecommender,
  buildBaselines,
  contentRecommender,
  itemKnnRecommender,
  popRecommender,
  repeatRecommender,
} from './baseline-recommenders';
import type { Purchase, RecommendationUser } from './evaluation.types';
import { buildItemKnn } from '../ranking/item-knn';
import { buildPurchaseMatrix } from '../ranking/purchase-matrix';

let sequence = 0;
function purchase(userId: string, itemId: string): Purchase {
  return {
    eventId: `e${sequence++}`,
    userId,
    itemId,
    invoiceNo: `i${sequence}`,
    timestamp: new Date('2011-06-01T00:00:00Z'),
    quantity: 1,
  };
}
function user(...itemIds: string[]): RecommendationUser {
  return { userId: 'test', history: itemIds.map((itemId) => purchase('test', itemId)) };
}
const none = new Set<string>();

/**
 * Binary user×item matrix (u1 buys A twice: still one buyer):
 *        A  B  C  E
 *   u1   1  1  .  .
 *   u2   1  1  1  .
 *   u3   .  1  1  .
 *   u4   .  .  .  1
 * Buyers: A 2, B 3, C 2, E 1 → pop = B, A, C, E (A/C tie broken by id).
 * Co-buyers: A·B 2, A·C 1, B·C 2 → cos(A,B) = cos(B,C) = 2/√6, cos(A,C) = 1/√4 = 0.5; E has no neighbour.
 */
const training = [
  purchase('u1', 'A'),
  purchase('u1', 'A'),
  purchase('u1', 'B'),
  purchase('u2', 'A'),
  purchase('u2', 'B'),
  purchase('u2', 'C'),
  purchase('u3', 'B'),
  purchase('u3', 'C'),
  purchase('u4', 'E'),
];
const stats = buildPurchaseMatrix(training);
const SIM_AB = 2 / Math.sqrt(6);

describe('training stats', () => {
  it('counts distinct buyers and ranks popularity with id tie-break', () => {
    expect(stats.itemIds).toEqual(['A', 'B', 'C', 'E']);
    expect(Array.from(stats.distinctBuyers)).toEqual([2, 3, 2, 1]);
    expect(stats.popularity).toEqual(['B', 'A', 'C', 'E']);
    expect(Array.from(stats.userItems.get('u1') ?? [])).toEqual([0, 1]);
  });
});

describe('pop', () => {
  it('ranks by distinct buyers and skips excluded items', async () => {
    const pop = popRecommender(stats);
    await expect(Promise.resolve(pop(user('A'), 3, none))).resolves.toEqual(['B', 'A', 'C']);
    await expect(Promise.resolve(pop(user('A'), 10, new Set(['B'])))).resolves.toEqual(['A', 'C', 'E']);
  });
});

describe('repeat', () => {
  const repeat = repeatRecommender(stats);

  it('ranks own items by purchase rows, then distinct buyers, then id', async () => {
    // C and A: 2 rows each, 2 buyers each → id order; B: 1 row.
    await expect(Promise.resolve(repeat(user('C', 'C', 'B', 'A', 'A'), 3, none))).resolves.toEqual([
      'A',
      'C',
      'B',
    ]);
    // A and B: 1 row each → B first, it has 3 buyers against 2.
    await expect(Promise.resolve(repeat(user('A', 'B'), 2, none))).resolves.toEqual(['B', 'A']);
  });

  it('fills up with pop once own items run out', async () => {
    await expect(Promise.resolve(repeat(user('C'), 4, none))).resolves.toEqual(['C', 'B', 'A', 'E']);
  });
});

describe('itemknn', () => {
  it('keeps cosine neighbours sorted by similarity, ties by id, never the item itself', () => {
    const model = buildItemKnn(stats);
    const neighbours = (item: number): Array<[string, number]> =>
      Array.from(model.neighbors.subarray(model.offsets[item], model.offsets[item + 1]), (n, position) => [
        model.itemIds[n],
        model.similarities[model.offsets[item] + position],
      ]);
    const [a, b, c, e] = [neighbours(0), neighbours(1), neighbours(2), neighbours(3)];
    expect(a.map(([id]) => id)).toEqual(['B', 'C']);
    expect(a[0][1]).toBeCloseTo(SIM_AB, 12);
    expect(a[1][1]).toBeCloseTo(0.5, 12);
    expect(b.map(([id]) => id)).toEqual(['A', 'C']);
    expect(b[0][1]).toBeCloseTo(SIM_AB, 12);
    expect(b[1][1]).toBeCloseTo(SIM_AB, 12);
    expect(c.map(([id]) => id)).toEqual(['B', 'A']);
    expect(e).toEqual([]);
  });

  it('sums similarities over distinct history items and fills up with pop', async () => {
    const knn = itemKnnRecommender(buildItemKnn(stats), stats.popularity);
    // History A: B = 2/√6, C = 0.5; then pop gives A, E.
    await expect(Promise.resolve(knn(user('A', 'A'), 4, none))).resolves.toEqual(['B', 'C', 'A', 'E']);
    await expect(Promise.resolve(knn(user('A'), 10, new Set(['A'])))).resolves.toEqual(['B', 'C', 'E']);
    // History A, C: B = 4/√6, A = 0.5 (from C), C = 0.5 (from A) → the A/C tie goes to the lower id.
    await expect(Promise.resolve(knn(user('C', 'A'), 3, none))).resolves.toEqual(['B', 'A', 'C']);
  });

  it('prunes each item to its top neighbours before scoring', async () => {
    const model = buildItemKnn(stats, 1);
    // B's two neighbours tie at 2/√6: A survives on id.
    expect(Array.from(model.neighbors)).toEqual([1, 0, 1]);
    const knn = itemKnnRecommender(model, stats.popularity);
    await expect(Promise.resolve(knn(user('C'), 10, new Set(['C'])))).resolves.toEqual(['B', 'A', 'E']);
  });
});

describe('content', () => {
  const vectors: Record<string, Float32Array> = {
    A: Float32Array.from([1, 0]),
    B: Float32Array.from([0, 1]),
    C: Float32Array.from([1, 1]),
    D: Float32Array.from([0, 1]),
  };
  const content = contentRecommender({
    candidates: ['A', 'B', 'C', 'D', 'E'],
    vectorOf: (id) => vectors[id],
    popularity: stats.popularity,
  });

  it('ranks by dot product with the log(1 + rows)-weighted sum of history vectors', async () => {
    // Profile = ln3·A + ln2·B = (1.0986, 0.6931): C 1.7918 > A 1.0986 > B = D 0.6931 (tie → B) → then pop: E.
    await expect(Promise.resolve(content(user('A', 'B', 'A'), 5, none))).resolves.toEqual([
      'C',
      'A',
      'B',
      'D',
      'E',
    ]);
    await expect(Promise.resolve(content(user('A', 'B', 'A'), 10, new Set(['A', 'B'])))).resolves.toEqual([
      'C',
      'D',
      'E',
    ]);
  });

  it('falls back to pop when no history item has a vector', async () => {
    await expect(Promise.resolve(content(user('E'), 2, none))).resolves.toEqual(['B', 'A']);
  });

  it('rejects vectors of mixed dimensions', () => {
    expect(() =>
      contentRecommender({
        candidates: ['A', 'B'],
        vectorOf: (id) => (id === 'A' ? new Float32Array(2) : new Float32Array(3)),
        popularity: [],
      }),
    ).toThrow(/3-d vector, expected 2/);
  });
});

describe('buildBaselines', () => {
  it('builds pop, repeat and itemknn, adds content on request, and keeps repeat out of discovery', () => {
    const plain = buildBaselines(training);
    expect(Object.keys(plain.recommenders)).toEqual(['pop', 'repeat', 'itemknn', 'markov']);
    expect(plain.restrictTo).toEqual({ repeat: ['next-basket'], markov: ['session', 'in-visit'] });
    const withContent = buildBaselines(training, {
      content: { candidates: ['A'], vectorOf: () => undefined },
    });
    expect(Object.keys(withContent.recommenders)).toEqual(['pop', 'repeat', 'itemknn', 'markov', 'content']);
  });
});

describe('markov', () => {
  const at = (userId: string, itemId: string, day: number): Purchase => ({
    eventId: `m${sequence++}`,
    userId,
    itemId,
    invoiceNo: `${userId}-${day}`,
    timestamp: new Date(Date.UTC(2011, 5, day)),
    quantity: 1,
  });
  // w1: {A} then {C}; w2: {A} then {B, C}; w3: {B} then {D}. P(C|A) = 2/2, P(B|A) = 1/2, P(D|B) = 1/1.
  const training = [
    at('w1', 'A', 1),
    at('w1', 'C', 2),
    at('w2', 'A', 1),
    at('w2', 'B', 2),
    at('w2', 'C', 2),
    at('w3', 'B', 1),
    at('w3', 'D', 3),
  ];

  it('ranks by the summed transition probabilities from the session items, then fills with popularity', () => {
    const markov = markovRecommender(training, ['C', 'B', 'A', 'D']);
    expect(markov(user('A'), 3, new Set(['A']))).toEqual(['C', 'B', 'D']);
    // From {A, B}: C 1 and D 1 (ties: lower id), B 0.5 excluded.
    expect(markov(user('A', 'B'), 2, new Set(['A', 'B']))).toEqual(['C', 'D']);
  });
});
