import { mulberry32 } from '../common/random';
import type { BlendWeights } from './blend';
import { meanNdcg, scoreCase, tuneBlend, type BlendCase } from './blend-tuning';
import { candidateSet } from './testing/candidate-set';

/** A validation basket with random features; scores tie often (coarse values) to exercise the id order. */
function randomCase(rnd: () => number, n: number): BlendCase {
  const coarse = () => Math.floor(rnd() * 4) / 4;
  const ids = Array.from({ length: n }, (_, i) => `item-${(i * 7919) % 1000}-${i}`);
  const column = (p = 1) => ids.map(() => (rnd() < p ? coarse() : 0));
  return {
    candidates: candidateSet(ids, {
      cos: column(),
      logPop: column(),
      logTrend: column(),
      knn: column(0.5),
      repeat: column(0.2),
      reorder: column(0.2),
      isNew: ids.map(() => (rnd() < 0.1 ? 1 : 0)),
    }),
    targets: new Set(ids.filter(() => rnd() < 0.05)),
  };
}

/** The reference: score every candidate and sort (score descending, then id). */
function sortedTopK({ candidates: c }: BlendCase, w: BlendWeights, k: number): string[] {
  const terms = [
    [w.cos, c.cos],
    [w.pop, c.logPop],
    [w.trend, c.logTrend],
    [w.knn, c.knn],
    [w.repeat, c.repeat],
    [w.reorder, c.reorder],
    [w.newItem, c.isNew],
  ] as const;
  const s = c.ids.map((_, i) => terms.reduce((sum, [weight, feature]) => sum + weight * feature[i], 0));
  return c.ids
    .map((_, i) => i)
    .sort((a, b) => s[b] - s[a] || (c.ids[a] < c.ids[b] ? -1 : 1))
    .slice(0, k)
    .map((i) => c.ids[i]);
}

const ONLY_KNN: BlendWeights = { cos: 0, pop: 0, trend: 0, knn: 1, repeat: 0, reorder: 0, newItem: 0 };

describe('scoreCase', () => {
  it('ranks a hand-made case by the blend, ties by id', () => {
    // knn 1 → scores a 0.5·1 + 2 = 2.5, b 0.5·3 = 1.5, c 0.5·3 = 1.5, d 0 + 2·0.5 = 1.
    const c: BlendCase = {
      candidates: candidateSet(['d', 'c', 'b', 'a'], { cos: [0, 3, 3, 1], knn: [0.5, 0, 0, 2] }),
      targets: new Set(['b']),
    };
    const w = { ...ONLY_KNN, cos: 0.5 };
    expect(scoreCase(c, w, 4)).toEqual(['a', 'b', 'c', 'd']);
    expect(scoreCase(c, w, 2)).toEqual(['a', 'b']);
    // 'b' at rank 2 of a one-item basket: NDCG = 1 / log2(3).
    expect(meanNdcg([c], w, 10)).toBeCloseTo(1 / Math.log2(3), 12);
  });

  it('ranks the top k exactly as a full sort by score, then id', () => {
    const rnd = mulberry32(11);
    for (let t = 0; t < 300; t++) {
      const c = randomCase(rnd, Math.floor(rnd() * 60));
      const w: BlendWeights = {
        cos: rnd() * 3,
        pop: rnd(),
        trend: rnd(),
        knn: rnd() * 2,
        repeat: rnd() * 4,
        reorder: rnd() * 2,
        newItem: rnd(),
      };
      for (const k of [0, 1, 3, 10, 100]) expect(scoreCase(c, w, k)).toEqual(sortedTopK(c, w, k));
    }
  });
});

describe('tuneBlend', () => {
  it('turns on a weight the start ignores when that signal finds the baskets', () => {
    // Targets are the items with the highest co-purchase score; the start ranks by popularity only.
    const rnd = mulberry32(5);
    const cases = Array.from({ length: 40 }, (): BlendCase => {
      const c = randomCase(rnd, 50).candidates;
      let best = 0;
      c.knn.forEach((v, i) => (v > c.knn[best] ? (best = i) : undefined));
      c.knn[best] = 5;
      return { candidates: c, targets: new Set([c.ids[best]]) };
    });
    const start: BlendWeights = { cos: 0, pop: 1, trend: 0.5, knn: 0, repeat: 0, reorder: 0, newItem: 0 };
    const startNdcg = meanNdcg(cases, start, 10);
    const tuned = tuneBlend(cases, start, 10);
    expect(startNdcg).toBeLessThan(0.5);
    expect(tuned.weights.knn).toBeGreaterThan(0);
    expect(tuned.ndcg).toBeGreaterThan(0.9);
    expect(tuned.ndcg).toBeCloseTo(meanNdcg(cases, tuned.weights, 10), 12);
  });
});
