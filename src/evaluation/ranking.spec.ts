import { compareIds, fillWithPopularity, selectTopK } from './ranking';

describe('ranking helpers', () => {
  it('orders ids by code unit, not by locale or number', () => {
    expect(['85123A', '22423', '85123a', '10002', 'POST'].sort(compareIds)).toEqual([
      '10002',
      '22423',
      '85123A',
      '85123a',
      'POST',
    ]);
  });

  it('fills up with popularity, skipping excluded and already taken ids', () => {
    const popularity = ['p1', 'p2', 'p3', 'p4'];
    expect(fillWithPopularity(['p2', 'x'], popularity, 4, new Set(['p1']))).toEqual(['p2', 'x', 'p3', 'p4']);
    expect(fillWithPopularity(['x', 'y', 'z'], popularity, 2, new Set())).toEqual(['x', 'y']);
    // Too few candidates left: a short list, never an excluded or duplicate id.
    expect(fillWithPopularity([], popularity, 10, new Set(['p3']))).toEqual(['p1', 'p2', 'p4']);
  });

  it('selects the best k by score, ties by lower index, skipping as told', () => {
    const scores = new Float64Array([0.5, 0.9, 0.5, 0.1, 0.9, 0.7]);
    const all = Int32Array.from([5, 4, 3, 2, 1, 0]);
    expect(selectTopK(all, all.length, scores, 4, () => false)).toEqual([1, 4, 5, 0]);
    expect(selectTopK(all, all.length, scores, 4, (i) => i === 4)).toEqual([1, 5, 0, 2]);
    expect(selectTopK(all, 2, scores, 4, () => false)).toEqual([4, 5]);
    expect(selectTopK(all, all.length, scores, 10, () => false)).toEqual([1, 4, 5, 0, 2, 3]);
  });
});
