import { contextVector, ndcgAtK, popularityPrior, scoreAll, topK, tuneScoring, TuningCase } from './scoring';

describe('scoring', () => {
  // Four unit item vectors in 2-d.
  const projected = Float32Array.from([1, 0, 0, 1, Math.SQRT1_2, Math.SQRT1_2, -1, 0]);
  const ids = ['d', 'c', 'b', 'a'];

  it('builds a normalised weighted context vector', () => {
    const ctx = contextVector(projected, 2, [0, 1], [3, 4]);
    expect(ctx[0]).toBeCloseTo(0.6, 6);
    expect(ctx[1]).toBeCloseTo(0.8, 6);
  });

  it('adds β·log(1 + buyers) and γ for never-sold items to cos/τ', () => {
    const ctx = Float32Array.from([1, 0]);
    const scores = scoreAll(ctx, projected, [3, 0, 1, 0], { tau: 0.5, beta: 2, gamma: 0.25 });
    expect(scores[0]).toBeCloseTo(2 + 2 * Math.log(4), 5);
    expect(scores[1]).toBeCloseTo(0.25, 5);
    expect(scores[2]).toBeCloseTo(Math.SQRT2 + 2 * Math.log(2), 5);
    expect(scores[3]).toBeCloseTo(-2 + 0.25, 5);
    expect(Array.from(popularityPrior([0, 1], 1, 3))).toEqual([3, Math.fround(Math.log(2))]);
  });

  it('ranks best first, breaks ties by item id and honours exclusions', () => {
    const scores = [1, 5, 1, 1, 7];
    const itemIds = ['e', 'b', 'c', 'a', 'd'];
    expect(topK(scores, 3, itemIds)).toEqual([4, 1, 3]);
    expect(topK(scores, 10, itemIds, new Set([4, 3]))).toEqual([1, 2, 0]);
    expect(topK(scores, 0, itemIds)).toEqual([]);
  });

  it('computes NDCG@k with binary relevance', () => {
    expect(ndcgAtK([1, 2, 3], new Set([1]), 10)).toBeCloseTo(1, 10);
    expect(ndcgAtK([2, 1], new Set([1]), 10)).toBeCloseTo(1 / Math.log2(3), 10);
    // Two targets, one hit at rank 1: DCG 1, IDCG 1 + 1/log2(3).
    expect(ndcgAtK([1, 5], new Set([1, 9]), 10)).toBeCloseTo(1 / (1 + 1 / Math.log2(3)), 10);
    expect(ndcgAtK([5, 1], new Set([1]), 1)).toBe(0);
  });

  it('tunes β and γ to the values that rank the targets first', () => {
    // The context points at item 0 ('d'); the targets are the popular item 2 ('b', needs β > 0 to beat
    // 'd') and the never-sold item 1 ('c', needs γ > 0 to beat the fairly popular 'a' once β > 0): only
    // β = 1 with γ = 2 wins both.
    const ctx = Float32Array.from([1, 0]);
    const cases: TuningCase[] = [
      { context: ctx, targets: new Set([2]) },
      { context: ctx, targets: new Set([1]), exclude: new Set([0, 2]) },
    ];
    const result = tuneScoring(cases, projected, [1, 0, 50, 10], ids, {
      tau: 1,
      betas: [0, 1],
      gammas: [0, 2],
      k: 1,
    });
    expect(result.beta).toBe(1);
    expect(result.gamma).toBe(2);
    expect(result.ndcg).toBeCloseTo(1, 10);
    expect(result.grid.map((g) => g.ndcg)).toEqual([0.5, 0.5, 0.5, 1]);
  });
});
