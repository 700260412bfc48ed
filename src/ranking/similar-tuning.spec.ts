import type { SessionCandidateSet } from './session-ranking';
import type { SimilarBlend } from './similar-ranking';
import { meanSimilarNdcg, similarQueries, tuneSimilarBlend, type SimilarCase } from './similar-tuning';

/** A candidate set written out by hand: a text neighbour and a co-purchase neighbour of the viewed item. */
function twoCandidates(): SessionCandidateSet {
  const col = (xs: number[]) => Float64Array.from(xs);
  return {
    size: 2,
    ids: ['text-twin', 'bought-with'],
    cos: col([0.9, 0.1]),
    cosFlat: col([0.9, 0.1]),
    knn: col([0, 0.5]),
    // One viewed item: its recency weight is 1, so the recency-weighted sums equal the flat ones.
    knnRecent: col([0, 0.5]),
    knnVia: [undefined, 'viewed'],
    trans: col([0, 0]),
    transRecent: col([0, 0]),
    transVia: [undefined, undefined],
    logTrend: col([0, 0]),
    logPop: col([0, 0]),
    itemRows: Int32Array.from([-1, -1]),
  };
}

const start = (knn: number): SimilarBlend => ({ cos: 1, knn, trans: 0, trend: 0, pop: 0 });

describe('similar blend tuning', () => {
  // bought-with outranks text-twin exactly when 0.1 + 0.5·knn > 0.9, i.e. knn > 1.6.
  it('raises the co-purchase weight when shoppers buy the co-purchase neighbour', () => {
    const cases: SimilarCase[] = [{ candidates: twoCandidates(), targets: new Set(['bought-with']) }];
    expect(meanSimilarNdcg(cases, start(1), 10)).toBeCloseTo(1 / Math.log2(3), 12);
    const tuned = tuneSimilarBlend(cases, start(1));
    expect(tuned.weights.knn).toBeGreaterThan(1.6);
    expect(tuned.ndcg).toBe(1);
  });

  it('lowers it when they buy the text neighbour', () => {
    const cases: SimilarCase[] = [{ candidates: twoCandidates(), targets: new Set(['text-twin']) }];
    const tuned = tuneSimilarBlend(cases, start(2));
    expect(tuned.weights.knn).toBeLessThan(1.6);
    expect(tuned.weights.cos).toBe(1);
    expect(tuned.ndcg).toBe(1);
  });

  it('makes each item of a validation basket a query, the rest of the basket its targets', () => {
    const queries = similarQueries(
      [new Set(['b', 'a', 'gone']), new Set(['c']), new Set(['d', 'e'])],
      (id) => id !== 'gone',
      100,
    );
    expect(queries).toEqual([
      { query: 'a', targets: new Set(['b']) },
      { query: 'b', targets: new Set(['a']) },
      { query: 'd', targets: new Set(['e']) },
      { query: 'e', targets: new Set(['d']) },
    ]);
    expect(similarQueries([new Set(['a', 'b', 'c', 'd'])], () => true, 2).map((q) => q.query)).toEqual([
      'a',
      'c',
    ]);
  });
});
