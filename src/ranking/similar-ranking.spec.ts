import { dot, normalize } from '../common/vectors';
import type { NearestHit } from './candidates';
import { PurchaseSignals, type PurchasePair } from './purchase-signals';
import {
  DEFAULT_SIMILAR_BLEND,
  firstPassing,
  similarList,
  similarStrategy,
  storedSimilarBlend,
  type SimilarSources,
} from './similar-ranking';

const asOf = new Date('2011-06-01T00:00:00Z');
const at = new Date('2011-05-01T00:00:00Z');
const lately = new Date('2011-05-25T00:00:00Z');

/**
 * A mug (A) and four other mugs described alike (M1–M4), and a tea towel (T) described unlike any mug, which
 * eight shoppers bought with the mug. Vectors: the mugs lie near each other, the towel orthogonal to them.
 */
const vectors = new Map<string, Float32Array>([
  ['A', normalize(Float32Array.from([1, 0, 0]))],
  ['M1', normalize(Float32Array.from([1, 0.1, 0]))],
  ['M2', normalize(Float32Array.from([1, 0.2, 0]))],
  ['M3', normalize(Float32Array.from([1, 0.3, 0]))],
  ['M4', normalize(Float32Array.from([1, 0.4, 0]))],
  ['T', normalize(Float32Array.from([0, 0, 1]))],
]);

function pairs(): PurchasePair[] {
  const out: PurchasePair[] = [];
  const buy = (userId: string, itemId: string, lastAt = at) => out.push({ userId, itemId, rows: 1, lastAt });
  for (let u = 0; u < 8; u++) {
    buy(`u${u}`, 'A');
    buy(`u${u}`, 'T');
  }
  // The other mugs sell, but never with A, and lately: the shop sells within the trending window, where A and T
  // are not (trendingWindowEnd).
  for (const [u, m] of [
    ['v1', 'M1'],
    ['v2', 'M2'],
    ['v3', 'M3'],
    ['v4', 'M4'],
  ])
    buy(u, m, lately);
  return out;
}

/** An exact scan over the vectors above: the neighbour search serving does with HNSW. */
function nearest(v: Float32Array, k: number, pass: (id: string) => boolean): NearestHit[] {
  return [...vectors.entries()]
    .filter(([id]) => pass(id))
    .map(([id, w]) => ({ id, score: dot(v, w) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .slice(0, k);
}

const sources: SimilarSources = {
  signals: PurchaseSignals.fromPairs(pairs(), asOf),
  vectorOf: (id) => vectors.get(id),
  nearest,
};
const all = () => true;

describe('similar lists', () => {
  it('list an item bought with this one, described unlike it, where vector neighbours alone do not', () => {
    const textOnly = similarList(
      sources,
      'A',
      vectors.get('A'),
      all,
      { cos: 1, knn: 0, trans: 0, trend: 0, pop: 0 },
      3,
    );
    expect(textOnly.ids).toEqual(['M1', 'M2', 'M3']);
    const blended = similarList(sources, 'A', vectors.get('A'), all, DEFAULT_SIMILAR_BLEND, 3);
    expect(blended.ids).toContain('T');
    expect(blended.ids).not.toContain('A');
    const t = blended.ids.indexOf('T');
    expect(blended.sources[t]).toBe('co-purchase');
    expect(blended.sources[blended.ids.indexOf('M1')]).toBe('vector');
    expect(similarStrategy(blended.sources)).toBe('similar:co-purchase+vector');
  });

  it('keeps to the vector neighbours for an item nobody bought', () => {
    const list = similarList(sources, 'M4', vectors.get('M4'), all, DEFAULT_SIMILAR_BLEND, 2);
    expect(list.ids).toEqual(['M3', 'M2']);
    expect(similarStrategy(list.sources)).toBe('similar:vector');
  });

  it('reads a held list under a request filter, or says too few pass', () => {
    const list = similarList(sources, 'A', vectors.get('A'), all, DEFAULT_SIMILAR_BLEND, 5);
    const t = list.ids.indexOf('T');
    const withoutTowel = firstPassing(list, 3, (id) => id !== 'T');
    expect(withoutTowel!.map((i) => list.ids[i])).not.toContain('T');
    expect(withoutTowel).toHaveLength(3);
    expect(firstPassing(list, 1, (id) => id === 'T')).toEqual([t]);
    expect(firstPassing(list, 2, (id) => id === 'T')).toBeUndefined();
  });

  it('keeps the defaults for versions stored before similar lists were tuned', () => {
    expect(storedSimilarBlend(undefined)).toEqual(DEFAULT_SIMILAR_BLEND);
    expect(storedSimilarBlend({ cos: 1, knn: 3 })).toEqual({ cos: 1, knn: 3, trans: 0, trend: 0, pop: 0 });
  });
});
