import type { ItemNeighbours } from './neighbour-lists';
import { SessionSums, walkRanked } from './session-sums';

/** Every neighbour id the tests name, in id order: their ranks (ItemNeighbours.ranks). */
const ID_ORDER = ['X', 'Y', 'a', 'b', 'c', 'd', 'e'].sort();

/** A neighbour list over rows named by the test (the row numbers stand for a source's dense numbering). */
function list(entries: Array<[string, number, number]>): ItemNeighbours {
  const idOfRow: string[] = [];
  for (const [id, row] of entries) idOfRow[row] = id;
  return {
    ids: entries.map(([id]) => id),
    idOfRow,
    ranks: Int32Array.from(entries.map(([id]) => ID_ORDER.indexOf(id))),
    rows: Int32Array.from(entries.map(([, row]) => row)),
    sims: Float32Array.from(entries.map(([, , sim]) => sim)),
  };
}

function ranked(sums: SessionSums, values: Float64Array, expect: number, take = Infinity): string[] {
  const out: string[] = [];
  walkRanked(sums, values, expect, (row) => {
    if (out.length >= take) return false;
    out.push(sums.idOf[row]);
    return true;
  });
  return out;
}

describe('SessionSums', () => {
  it('sums flat and weighed similarities per neighbour and names the item with the strongest weighed one', () => {
    const sums = new SessionSums();
    sums.reset();
    sums.add(0, 0.5, list([['X', 7, 0.75]]));
    sums.add(
      1,
      1,
      list([
        ['X', 7, 0.25],
        ['Y', 3000, 0.5],
      ]),
    );
    expect(sums.count).toBe(2);
    expect(sums.flat[7]).toBe(1);
    expect(sums.sum[7]).toBe(0.625);
    // 0.5·0.75 = 0.375 beats 1·0.25.
    expect(sums.via[7]).toBe(0);
    expect(sums.idOf[3000]).toBe('Y');
    expect(sums.sum[3000]).toBe(0.5);
  });

  it('starts every call afresh without clearing', () => {
    const sums = new SessionSums();
    sums.reset();
    sums.add(0, 1, list([['X', 2, 0.5]]));
    sums.reset();
    sums.add(
      0,
      1,
      list([
        ['Y', 5, 0.25],
        ['X', 2, 0.125],
      ]),
    );
    expect(sums.count).toBe(2);
    expect(sums.flat[2]).toBe(0.125);
    expect(ranked(sums, sums.flat, 10)).toEqual(['Y', 'X']);
  });

  it('walks rows by value descending, ties by id, reading past its first head when asked for more', () => {
    const sums = new SessionSums();
    sums.reset();
    sums.add(
      0,
      1,
      list([
        ['d', 0, 0.25],
        ['c', 1, 0.5],
        ['b', 2, 0.25],
        ['a', 3, 0.125],
        ['e', 4, 0.5],
      ]),
    );
    expect(ranked(sums, sums.flat, 1)).toEqual(['c', 'e', 'b', 'd', 'a']);
    expect(ranked(sums, sums.flat, 2, 3)).toEqual(['c', 'e', 'b']);
  });
});
