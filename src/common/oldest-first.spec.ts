import { OldestFirst } from './oldest-first';

describe('OldestFirst', () => {
  it('takes entries out in insertion order, a re-set key counting from its new place', () => {
    const map = new Map<string, number>([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    const oldest = new OldestFirst(map);
    expect(oldest.shift()).toEqual(['a', 1]);
    // A use of `b`: deleted and set again, it is now the newest.
    map.delete('b');
    map.set('b', 20);
    map.set('d', 4);
    expect(oldest.shift()).toEqual(['c', 3]);
    expect(oldest.shift()).toEqual(['b', 20]);
    expect(oldest.shift()).toEqual(['d', 4]);
    expect(map.size).toBe(0);
    expect(oldest.shift()).toBeUndefined();
    // Entries added after it ran dry are still found, and so are those added after a clear.
    map.set('e', 5);
    map.set('f', 6);
    expect(oldest.shift()).toEqual(['e', 5]);
    map.clear();
    map.set('g', 7);
    expect(oldest.shift()).toEqual(['g', 7]);
  });

  it('agrees with a plain model of the order over a long run of random uses, deletions and shifts', () => {
    let seed = 11;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const map = new Map<number, number>();
    const order: number[] = [];
    const oldest = new OldestFirst(map);
    for (let step = 0; step < 20_000; step++) {
      const r = rand();
      const key = Math.floor(rand() * 500);
      if (r < 0.45) {
        // A write or a use: the key goes last.
        map.delete(key);
        map.set(key, step);
        const at = order.indexOf(key);
        if (at >= 0) order.splice(at, 1);
        order.push(key);
      } else if (r < 0.6) {
        map.delete(key);
        const at = order.indexOf(key);
        if (at >= 0) order.splice(at, 1);
      } else if (r < 0.61) {
        map.clear();
        order.length = 0;
      } else {
        const got = oldest.shift();
        const want = order.shift();
        expect(got?.[0]).toBe(want);
      }
      expect(map.size).toBe(order.length);
    }
  });
});
