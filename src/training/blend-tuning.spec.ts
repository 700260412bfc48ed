import { mulberry32 } from '../common/random';
import type { BlendWeights } from '../recommendations/blend';
import { scoreCase, tuneBlend, type BlendCase } from './blend-tuning';

/** A validation basket with random features; scores tie often (coarse values) to exercise the id order. */
function randomCase(rnd: () => number, n: number): BlendCase {
  const coarse = () => Math.floor(rnd() * 4) / 4;
  const ids = Array.from({ length: n }, (_, i) => `item-${(i * 7919) % 1000}-${i}`);
  return {
    ids,
    cos: Float32Array.from(ids, coarse),
    logPop: Float32Array.from(ids, coarse),
    logTrend: Float32Array.from(ids, coarse),
    knn: Float32Array.from(ids, () => (rnd() < 0.5 ? 0 : coarse())),
    repeat: Float32Array.from(ids, () => (rnd() < 0.8 ? 0 : coarse())),
    reorder: Float32Array.from(ids, () => (rnd() < 0.8 ? 0 : coarse())),
    isNew: Uint8Array.from(ids, () => (rnd() < 0.1 ? 1 : 0)),
    targets: new Set(ids.filter(() => rnd() < 0.05)),
  };
}

/** The reference: score every candidate and sort (score descending, then id). */
function sortedTopK(c: BlendCase, w: BlendWeights, k: number): string[] {
  const s = c.ids.map(
    (_, i) =>
      w.cos * c.cos[i] +
      w.pop * c.logPop[i] +
      w.trend * c.logTrend[i] +
      w.knn * c.knn[i] +
      w.repeat * c.repeat[i] +
      w.reorder * c.reorder[i] +
      w.newItem * c.isNew[i],
  );
  return c.ids
    .map((_, i) => i)
    .sort((a, b) => s[b] - s[a] || (c.ids[a] < c.ids[b] ? -1 : 1))
    .slice(0, k)
    .map((i) => c.ids[i]);
}

describe('scoreCase', () => {
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
  it('finds weights at least as good as the start, and better when the start ignores the signal', () => {
    // Targets are the items with the highest co-purchase score; the start ranks by popularity only.
    const rnd = mulberry32(5);
    const cases = Array.from({ length: 40 }, () => {
      const c = randomCase(rnd, 50);
      let best = 0;
      c.knn.forEach((v, i) => (v > c.knn[best] ? (best = i) : undefined));
      return { ...c, knn: c.knn.map((v, i) => (i === best ? 5 : v)), targets: new Set([c.ids[best]]) };
    });
    const start: BlendWeights = { cos: 0, pop: 1, trend: 0.5, knn: 0, repeat: 0, reorder: 0, newItem: 0 };
    const startScore = tuneBlend(cases, start, 10);
    expect(startScore.weights.knn).toBeGreaterThan(0);
    expect(startScore.ndcg).toBeGreaterThan(0.9);
  });
});
