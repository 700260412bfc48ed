import { PurchaseSignals } from './purchase-signals';
import { buildItemKnn } from './item-knn';
import { buildPurchaseMatrix } from './purchase-matrix';
import { mulberry32 } from '../common/random';
import { DenseIds } from './dense-ids';
import { NeighbourLists } from './neighbour-lists';

const bought = (pairs: Array<[string, string]>) => pairs.map(([userId, itemId]) => ({ userId, itemId }));

// a and b share two of their buyers; c is bought with a once; d alone.
const PAIRS: Array<[string, string]> = [
  ['u1', 'a'],
  ['u1', 'b'],
  ['u2', 'a'],
  ['u2', 'b'],
  ['u3', 'a'],
  ['u3', 'c'],
  ['u4', 'd'],
];

/** An item's neighbour ids in list order. */
const idsOf = (lists: NeighbourLists, id: string) => {
  const { rows, idOfRow } = lists.of(id);
  return Array.from(rows, (r) => idOfRow[r]);
};

describe('NeighbourLists', () => {
  it('keeps the kNN order and similarities (as float32) as parallel arrays', () => {
    const knn = buildItemKnn(buildPurchaseMatrix(bought(PAIRS)));
    const lists = NeighbourLists.fromKnn(knn);
    expect(idsOf(lists, 'a')).toEqual(['b', 'c']);
    // cos(a, b) = 2 / sqrt(3 · 2); cos(a, c) = 1 / sqrt(3 · 1)
    expect(lists.of('a').sims[0]).toBeCloseTo(2 / Math.sqrt(6), 6);
    expect(lists.of('a').sims[1]).toBeCloseTo(1 / Math.sqrt(3), 6);
    expect(lists.of('a').sims).toBeInstanceOf(Float32Array);
    expect(idsOf(lists, 'c')).toEqual(['a']);
    expect(lists.size).toBe(3);
  });

  it('answers an unknown or neighbourless item with empty arrays, and never allocates per lookup', () => {
    const lists = NeighbourLists.fromKnn(buildItemKnn(buildPurchaseMatrix(bought(PAIRS))));
    expect(lists.of('d').rows).toHaveLength(0);
    expect(lists.of('nope').sims).toHaveLength(0);
    expect(lists.of('a')).toBe(lists.of('a'));
    expect(lists.of('nope')).toBe(lists.of('d'));
  });

  it('crosses a thread as rows and one id per neighbour, and answers alike there', () => {
    const lists = NeighbourLists.fromKnn(buildItemKnn(buildPurchaseMatrix(bought(PAIRS))));
    const wire = structuredClone(lists.toWire());
    // The neighbours travel as row numbers; their ids once each (a, b, c), not once per list they are in.
    expect([...wire.ids].sort()).toEqual(['a', 'b', 'c']);
    expect(Object.values(wire).filter((v) => v instanceof Map)).toEqual([]);
    const there = NeighbourLists.fromWire(wire);
    expect(there.size).toBe(lists.size);
    for (const id of ['a', 'b', 'c', 'd', 'nope']) {
      const [x, y] = [lists.of(id), there.of(id)];
      expect(idsOf(there, id)).toEqual(idsOf(lists, id));
      expect([...y.sims]).toEqual([...x.sims]);
      expect([...y.rows]).toEqual([...x.rows]);
      expect([...y.ranks]).toEqual([...x.ranks]);
    }
    expect(there.idOfRow).toEqual(lists.idOfRow);
    expect(NeighbourLists.fromWire(structuredClone(NeighbourLists.EMPTY.toWire())).size).toBe(0);
  });
  it('from rows numbered elsewhere (in any order): the same lists, with ranks in code-unit order', () => {
    // Lists of items x and y over neighbours numbered b, B, c (as a locale collation would order them), which
    // is not code-unit order (B < b < c): ties must still be broken by code units, as fromCsr does.
    const idOfRow = ['b', 'B', 'c'];
    const offsets = Int32Array.of(0, 2, 3);
    const rows = Int32Array.of(2, 1, 0);
    const sims = Float32Array.of(0.5, 0.25, 1);
    const numbered = NeighbourLists.fromRows(['x', 'y'], offsets, idOfRow, rows, sims);
    const named = NeighbourLists.fromCsr(['x', 'y'], offsets, ['c', 'B', 'b'], sims);
    for (const id of ['x', 'y', 'z']) {
      expect(idsOf(numbered, id)).toEqual(idsOf(named, id));
      expect([...numbered.of(id).ids]).toEqual(idsOf(named, id));
      expect([...numbered.of(id).sims]).toEqual([...named.of(id).sims]);
    }
    const rankOf = (lists: NeighbourLists, id: string) => {
      const { rows: own, ranks, idOfRow: names } = lists.of(id === 'b' ? 'y' : 'x');
      return ranks[Array.from(own, (r) => names[r]).indexOf(id)];
    };
    expect(['B', 'b', 'c'].map((id) => rankOf(numbered, id))).toEqual([0, 1, 2]);
    expect(['B', 'b', 'c'].map((id) => rankOf(named, id))).toEqual([0, 1, 2]);
    // Built lists live in shared memory: a thread they are posted to reads them without a copy.
    const wire = numbered.toWire();
    for (const a of [wire.offsets, wire.rows, wire.sims, wire.ranks])
      expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(idsOf(NeighbourLists.fromWire(structuredClone(wire)), 'x')).toEqual(['c', 'B']);
  });
});

describe('NeighbourLists.fromRowsPaced', () => {
  it("builds a large catalog's lists a slice at a time, equal to fromRows, ranks in code-unit order", async () => {
    // 20,000 neighbour ids (several sorted runs to merge), numbered in a random order, of mixed case and
    // length, so that code-unit order differs from both the numbering and a locale's order.
    const random = mulberry32(11);
    const letters = 'aAbBzZ09-_';
    const ids = new Set<string>();
    while (ids.size < 20_000) {
      let id = '';
      const len = 1 + Math.floor(random() * 6);
      for (let c = 0; c < len; c++) id += letters[Math.floor(random() * letters.length)];
      ids.add(id);
    }
    const numbering = DenseIds.of([...ids].sort(() => random() - 0.5));
    const items = Array.from({ length: 500 }, (_, k) => `item-${k}`);
    const offsets = new Int32Array(items.length + 1);
    for (let k = 0; k < items.length; k++) offsets[k + 1] = offsets[k] + 1 + Math.floor(random() * 80);
    const rows = Int32Array.from({ length: offsets[items.length] }, () =>
      Math.floor(random() * numbering.size),
    );
    const sims = Float32Array.from(rows, () => random());
    let turns = 0;
    const paced = await NeighbourLists.fromRowsPaced(items, offsets, numbering, rows, sims, async () => {
      turns += 1;
      await new Promise<void>((resolve) => setImmediate(resolve));
    });
    const whole = NeighbourLists.fromRows(items, offsets, numbering.ids, rows, sims);
    expect(turns).toBeGreaterThan(1);
    const byCodeUnits = [...numbering.ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const rankOf = new Map(byCodeUnits.map((id, rank) => [id, rank]));
    for (const item of items) {
      const [p, w] = [paced.of(item), whole.of(item)];
      expect([...p.ids]).toEqual([...w.ids]);
      expect([...p.sims]).toEqual([...w.sims]);
      expect([...p.ranks]).toEqual([...w.ranks]);
      expect([...p.ranks]).toEqual(p.ids.map((id) => rankOf.get(id)));
    }
  });
});

describe('PurchaseSignals', () => {
  const at = new Date('2020-02-01T00:00:00Z');
  const pairs = PAIRS.map(([userId, itemId], i) => ({
    userId,
    itemId,
    rows: 1,
    lastAt: new Date(at.getTime() - (i < 2 ? 40 : 1) * 86_400_000),
  }));

  it('ranks popular by distinct buyers then id, trending by recent buyers, with the same neighbours as the generator', () => {
    const m = PurchaseSignals.fromPairs(pairs, at);
    expect(m.popular).toEqual(['a', 'b', 'c', 'd']);
    expect(m.buyersOf('a')).toBe(3);
    expect(m.buyersOf('zzz')).toBe(0);
    // u1's purchases are 40 days old: outside the 30-day trending window.
    expect(m.recentBuyersOf('a')).toBe(2);
    expect(m.trending).toEqual(['a', 'b', 'c', 'd']);
    expect([...m.neighbours('a')].map(([id]) => id)).toEqual(['b', 'c']);
  });

  it('numbers its items densely and holds what the ranking reads of each by that row', () => {
    const m = PurchaseSignals.fromPairs(pairs, at);
    const a = m.rowOf('a');
    const d = m.rowOf('d');
    expect(a).toBeGreaterThanOrEqual(0);
    expect(m.rowOf('zzz')).toBe(-1);
    // 'a': 3 buyers, 2 of them in the trending window; 'd': 1 buyer, recent.
    expect(m.buyersAt[a]).toBe(3);
    expect(m.logBuyersAt[a]).toBeCloseTo(Math.log(4), 12);
    expect(m.logRecentBuyersAt[a]).toBeCloseTo(Math.log(3), 12);
    expect(m.buyersAt[d]).toBe(1);
    // No one re-ordered anything: the shop rate is 0, and so is every item's.
    expect(m.reorderRateAt[a]).toBe(0);
    expect(Array.from(m.popularRows, (r) => m.buyersAt[r])).toEqual([3, 2, 1, 1]);
    expect(Array.from(m.trendingRows)).toEqual(m.trending.map((id) => m.rowOf(id)));
    // Co-purchase scores reached by row are those reached by id.
    m.withCoPurchase(['a'], (co) => {
      expect(co.rowOfItem(m.rowOf('b'))).toBe(co.rowOf('b'));
      expect(co.scoreAt(co.rowOf('b'))).toBeCloseTo(2 / Math.sqrt(6), 6);
      expect(co.rowOfItem(d)).toBe(-1);
      const rows = [...co.rankedRows()];
      expect(rows.map((r) => co.idAt(r))).toEqual(['b', 'c']);
      expect(rows.map((r) => co.itemRowAt(r))).toEqual([m.rowOf('b'), m.rowOf('c')]);
    });
  });

  it('swaps counts and neighbour lists independently', () => {
    const m = PurchaseSignals.fromPairs(pairs, at);
    const recounted = m.withCounts([{ itemId: 'd', buyers: 9, recentBuyers: 0, repeatBuyers: 0 }], at);
    expect(recounted.popular).toEqual(['d']);
    expect(recounted.neighboursOf('a')).toBe(m.neighboursOf('a'));
    const bare = m.withNeighbours(NeighbourLists.EMPTY);
    expect(bare.neighbourItems).toBe(0);
    expect(bare.popular).toEqual(m.popular);
    expect(bare.buyersOf('a')).toBe(3);
    const recent = (x: PurchaseSignals) => ['a', 'b', 'c', 'd'].map((id) => x.recentBuyersOf(id));
    expect(recent(bare)).toEqual([2, 1, 1, 1]);
    expect(recent(m)).toEqual([2, 1, 1, 1]);
    expect(bare.trending).toEqual(m.trending);
  });

  it('re-order rate: the share of buyers who bought an item more than once, pulled towards the shop rate', () => {
    const day = (d: number) => new Date(at.getTime() - d * 86_400_000);
    const m = PurchaseSignals.fromPairs(
      [
        // 'soap': 4 buyers, 3 of them re-ordered; 'vase': 4 buyers, none did; 'card': 1 buyer, once.
        ...['u1', 'u2', 'u3'].map((userId) => ({ userId, itemId: 'soap', rows: 3, lastAt: day(2) })),
        { userId: 'u4', itemId: 'soap', rows: 1, lastAt: day(2) },
        ...['u1', 'u2', 'u3', 'u4'].map((userId) => ({ userId, itemId: 'vase', rows: 1, lastAt: day(2) })),
        { userId: 'u5', itemId: 'card', rows: 1, lastAt: day(2) },
      ],
      at,
    );
    // 3 repeat pairs out of 9 (buyer, item) pairs.
    expect(m.shopReorderRate).toBeCloseTo(3 / 9, 10);
    expect(m.reorderRate('soap')).toBeCloseTo((3 + 5 / 3) / (4 + 5), 10);
    expect(m.reorderRate('vase')).toBeCloseTo(5 / 3 / (4 + 5), 10);
    expect(m.reorderRate('card')).toBeCloseTo(5 / 3 / (1 + 5), 10);
    // Never sold: exactly the shop rate.
    expect(m.reorderRate('new')).toBeCloseTo(3 / 9, 10);
    expect(m.reorderRate('soap')).toBeGreaterThan(m.reorderRate('card'));
    expect(m.reorderRate('card')).toBeGreaterThan(m.reorderRate('vase'));
  });
});
