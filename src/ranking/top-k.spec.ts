import { mulberry32 } from '../common/random';
import { compareIds } from './ids';
import { selectTopRows, topIndicesInOrder, topK, topKByScore, topRowsByValue } from './top-k';

describe('compareIds', () => {
  it('orders ids by code unit, not by locale or number', () => {
    expect(['85123A', '22423', '85123a', '10002', 'POST'].sort(compareIds)).toEqual([
      '10002',
      '22423',
      '85123A',
      '85123a',
      'POST',
    ]);
  });
});

describe('topK', () => {
  it('returns the k best, best first, under a total order', () => {
    const v = [3, 9, 1, 9, 4];
    const before = (a: number, b: number) => v[a] > v[b] || (v[a] === v[b] && a < b);
    expect([...topK(5, 3, before)]).toEqual([1, 3, 4]);
    expect([...topK(5, 10, before)]).toEqual([1, 3, 4, 0, 2]);
    expect([...topK(5, 0, before)]).toEqual([]);
    expect([...topK(5, 2, before, (i) => i === 1)]).toEqual([3, 4]);
    // Fewer left than k: only those, no padding.
    expect([...topK(5, 4, before, (i) => i !== 2 && i !== 0)]).toEqual([0, 2]);
  });

  it('agrees with a full sort for every k on random inputs with ties', () => {
    const rnd = mulberry32(7);
    for (let trial = 0; trial < 300; trial++) {
      const n = Math.floor(rnd() * 50);
      const values = Array.from({ length: n }, () => Math.floor(rnd() * 8));
      const before = (a: number, b: number) => values[a] > values[b] || (values[a] === values[b] && a < b);
      const k = Math.floor(rnd() * (n + 2));
      const expected = [...values.keys()].sort((a, b) => values[b] - values[a] || a - b).slice(0, k);
      expect([...topK(n, k, before)]).toEqual(expected);
    }
  });
});

describe('topKByScore', () => {
  it('selects the best k by score, ties by lower index, skipping as told', () => {
    const scores = new Float64Array([0.5, 0.9, 0.5, 0.1, 0.9, 0.7]);
    const all = Int32Array.from([5, 4, 3, 2, 1, 0]);
    expect(topKByScore(all, all.length, scores, 4, () => false)).toEqual([1, 4, 5, 0]);
    expect(topKByScore(all, all.length, scores, 4, (i) => i === 4)).toEqual([1, 5, 0, 2]);
    expect(topKByScore(all, 2, scores, 4, () => false)).toEqual([4, 5]);
    expect(topKByScore(all, all.length, scores, 10, () => false)).toEqual([1, 4, 5, 0, 2, 3]);
    expect(topKByScore(all, all.length, scores, 4, (i) => i !== 3)).toEqual([3]);
  });
});

describe('topRowsByValue', () => {
  it('selects rows by value descending, ties by lower row', () => {
    const values = new Float64Array([0.5, 0.9, 0.5, 0.1, 0.9, 0.7]);
    const rows = Int32Array.from([3, 2, 5, 0, 4, 1]);
    expect([...topRowsByValue(rows, 6, values, 4)]).toEqual([1, 4, 5, 0]);
    expect([...topRowsByValue(rows, 4, values, 10)]).toEqual([5, 0, 2, 3]);
    expect([...topRowsByValue(rows, 6, values, 0)]).toEqual([]);
  });

  it('agrees with a full sort for every k on random rows with ties', () => {
    const rnd = mulberry32(11);
    for (let trial = 0; trial < 300; trial++) {
      const n = Math.floor(rnd() * 60);
      const values = Float64Array.from({ length: n }, () => Math.floor(rnd() * 6) / 4);
      const rows = Int32Array.from(values.keys()).filter(() => rnd() < 0.8);
      for (let i = rows.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [rows[i], rows[j]] = [rows[j], rows[i]];
      }
      const k = Math.floor(rnd() * (rows.length + 2));
      const expected = [...rows].sort((a, b) => values[b] - values[a] || a - b).slice(0, k);
      expect([...topRowsByValue(rows, rows.length, values, k)]).toEqual(expected);
    }
  });
});

describe('selectTopRows', () => {
  it('breaks ties by the given order, not by row', () => {
    const values = new Float64Array([0.5, 0.5, 0.5, 0.9]);
    const order = Int32Array.from([2, 0, 1, 3]);
    expect([...selectTopRows(Int32Array.from([0, 1, 2, 3]), 4, values, 3, order)]).toEqual([3, 1, 2]);
  });

  it('selects right when a sample of the rows misleads it: the best rows all sit where the sample looks', () => {
    // 1,000 rows, the 64 evenly strided ones a sample would read valued 1 and the rest below: a threshold read off
    // that sample keeps 64 rows, fewer than a head of 100, and the selection must look at every row.
    const count = 1000;
    const stride = count / 64;
    const sampled = new Set(Array.from({ length: 64 }, (_, j) => Math.floor(j * stride + stride / 2)));
    const values = Float64Array.from({ length: count }, (_, i) => (sampled.has(i) ? 1 : (i % 97) / 100));
    const rows = Int32Array.from(values.keys());
    for (const k of [100, 40]) {
      const expected = [...rows].sort((a, b) => values[b] - values[a] || a - b).slice(0, k);
      expect([...selectTopRows(rows, count, values, k, undefined)]).toEqual(expected);
    }
  });

  it('agrees with a full sort on long inputs, in ascending, descending and shuffled arrival', () => {
    const rnd = mulberry32(5);
    for (let trial = 0; trial < 120; trial++) {
      const n = 200 + Math.floor(rnd() * 1500);
      // Few distinct values: long runs of ties at the threshold, where a quickselect is easiest to get wrong.
      const levels = 1 + Math.floor(rnd() * 40);
      const values = Float64Array.from({ length: n }, () => Math.floor(rnd() * levels) / levels);
      const order = Int32Array.from(values.keys()).sort(() => rnd() - 0.5);
      const rows = Int32Array.from(values.keys());
      if (trial % 3 === 0) rows.sort((a, b) => values[a] - values[b]);
      else if (trial % 3 === 1) rows.sort((a, b) => values[b] - values[a]);
      else rows.sort(() => rnd() - 0.5);
      const count = Math.floor(n * (0.5 + rnd() / 2));
      // Heads short and long (insertion-sorted up to 96 rows, sorted by comparator above), by `order` and by row.
      const k = Math.floor(rnd() * 200);
      const byOrder = trial % 4 < 2;
      const tie = byOrder ? (a: number, b: number) => order[a] - order[b] : (a: number, b: number) => a - b;
      const expected = [...rows.subarray(0, count)]
        .sort((a, b) => values[b] - values[a] || tie(a, b))
        .slice(0, k);
      expect([...selectTopRows(rows, count, values, k, byOrder ? order : undefined)]).toEqual(expected);
      // Into a buffer of the caller's, long enough or not: the same rows.
      const into = new Int32Array(trial % 2 === 0 ? 256 : 8).fill(-1);
      const head = selectTopRows(rows, count, values, k, byOrder ? order : undefined, into);
      expect([...head]).toEqual(expected);
      if (expected.length > 0) expect(head.buffer === into.buffer).toBe(expected.length <= into.length);
      // Unsorted: the same rows in some order.
      const unsorted = selectTopRows(rows, count, values, k, byOrder ? order : undefined, undefined, false);
      expect([...unsorted].sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b));
    }
  });
});

describe('topIndicesInOrder', () => {
  it('keeps the best k by value, ties to the lower index, in index order', () => {
    const values = new Float64Array([0.2, 0.9, 0.5, 0.5, 0.1, 0.5]);
    expect([...topIndicesInOrder(values, 6, 3)]).toEqual([1, 2, 3]);
    expect([...topIndicesInOrder(values, 6, 10)]).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...topIndicesInOrder(values, 6, 0)]).toEqual([]);
    // Only the first `count` values are read.
    expect([...topIndicesInOrder(values, 3, 2)]).toEqual([1, 2]);
  });

  it('agrees with a full sort on long inputs with many ties', () => {
    const rnd = mulberry32(9);
    for (let trial = 0; trial < 100; trial++) {
      const n = 1 + Math.floor(rnd() * 2000);
      const levels = 1 + Math.floor(rnd() * 30);
      const values = Float64Array.from({ length: n }, () => Math.floor(rnd() * levels) / levels);
      const k = Math.floor(rnd() * n * 1.2);
      const expected = [...values.keys()]
        .sort((a, b) => values[b] - values[a] || a - b)
        .slice(0, k)
        .sort((a, b) => a - b);
      expect([...topIndicesInOrder(values, n, k)]).toEqual(expected);
    }
  });
});
