import { averageMetrics, hitRanks, ndcgAtK, rankingMetrics, recallAtK } from './ranking-metrics';

describe('ranking metrics', () => {
  const targets = new Set(['a', 'b', 'c']);
  // Hits at ranks 1 and 3.
  const ranked = ['a', 'x', 'b', 'y'];

  it('finds the 0-based ranks of distinct hits within the first k', () => {
    expect(hitRanks(ranked, targets, 10)).toEqual([0, 2]);
    expect(hitRanks(ranked, targets, 2)).toEqual([0]);
    expect(hitRanks(['a', 'a', 'b'], targets, 10)).toEqual([0, 2]);
  });

  it('computes Recall@K over the whole target set', () => {
    expect(recallAtK(ranked, targets, 10)).toBeCloseTo(2 / 3, 10);
    expect(recallAtK(ranked, targets, 2)).toBeCloseTo(1 / 3, 10);
    expect(recallAtK(ranked, new Set(), 10)).toBe(0);
  });

  it('computes binary NDCG with IDCG over min(K, |targets|) ideal hits', () => {
    // DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3) + 1/log2(4) = 2.1309297535714578.
    expect(ndcgAtK(ranked, targets, 10)).toBeCloseTo(1.5 / 2.1309297535714578, 10);
    // K = 2: DCG = 1; IDCG over min(2, 3) = 2 ideal hits = 1 + 1/log2(3) = 1.6309297535714575.
    expect(ndcgAtK(ranked, targets, 2)).toBeCloseTo(1 / 1.6309297535714575, 10);
    // A single-item basket hit at rank 1 is perfect, whatever K is.
    expect(ndcgAtK(['a', 'x'], new Set(['a']), 10)).toBeCloseTo(1, 10);
    expect(ndcgAtK(['x', 'a'], new Set(['a']), 10)).toBeCloseTo(1 / Math.log2(3), 10);
  });

  it('counts a hit only inside the top K', () => {
    expect(rankingMetrics(['x', 'y', 'a'], new Set(['a']), 2)).toEqual({ recall: 0, ndcg: 0, hit: 0 });
    expect(rankingMetrics(['x', 'y', 'a'], new Set(['a']), 3).hit).toBe(1);
  });

  it('averages per user, every user weighing the same', () => {
    const mean = averageMetrics([
      { recall: 1, ndcg: 0.5, hit: 1 },
      { recall: 0, ndcg: 0, hit: 0 },
      { recall: 0.5, ndcg: 0.25, hit: 1 },
    ]);
    expect(mean.recall).toBeCloseTo(0.5, 10);
    expect(mean.ndcg).toBeCloseTo(0.25, 10);
    expect(mean.hit).toBeCloseTo(2 / 3, 10);
    expect(averageMetrics([])).toEqual({ recall: 0, ndcg: 0, hit: 0 });
  });
});
