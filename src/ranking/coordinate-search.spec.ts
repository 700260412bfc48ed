import { coordinateSearch } from './coordinate-search';

interface W {
  a: number;
  b: number;
}

describe('coordinateSearch', () => {
  // Highest at a = 2, b = 0: reachable from a = 1 (×2) and b = 1 (×0).
  const peak = (w: W) => 1 - (w.a - 2) ** 2 - w.b ** 2;

  it('walks each weight to the best of its multiples and reports the score there', () => {
    expect(coordinateSearch({ starts: [{ a: 1, b: 1 }], keys: ['a', 'b'], score: peak, rounds: 3 })).toEqual({
      weights: { a: 2, b: 0 },
      ndcg: 1,
    });
  });

  it('starts from the best start, leaves weights outside `keys` alone and tries a 0 weight from its seed', () => {
    const starts = [
      { a: 9, b: 9 },
      { a: 0, b: 3 },
    ];
    // b = 3 goes to 0. a = 0 is tried from its seed 0.75 (0.1875 … 3): 1.5 comes closest to 2 (from 1, it
    // would reach 2 itself).
    const tuned = coordinateSearch({ starts, keys: ['b', 'a'], score: peak, rounds: 1, seed: { a: 0.75 } });
    expect(tuned).toEqual({ weights: { a: 1.5, b: 0 }, ndcg: 0.75 });
    expect(coordinateSearch({ starts, keys: ['b'], score: peak, rounds: 3 }).weights).toEqual({ a: 0, b: 0 });
    expect(starts[1]).toEqual({ a: 0, b: 3 }); // the starts are not changed
  });

  it('stops after a round that improves nothing', () => {
    let calls = 0;
    const flat = () => {
      calls += 1;
      return 0.5;
    };
    coordinateSearch({ starts: [{ a: 1, b: 1 }], keys: ['a', 'b'], score: flat, rounds: 5 });
    // The start, then one round of 7 multiples for each of the two weights.
    expect(calls).toBe(1 + 2 * 7);
  });
});
