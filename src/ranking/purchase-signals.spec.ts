import { PurchaseSignals, trendingWindowEnd, type PurchasePair } from './purchase-signals';
import { NeighbourLists, type ItemNeighbours } from './neighbour-lists';
import { mulberry32 } from '../common/random';

/** A small shop: 40 users buying among 30 items, with a bias so co-purchase neighbourhoods exist. */
function shop(seed: number): PurchasePair[] {
  const rnd = mulberry32(seed);
  const pairs: PurchasePair[] = [];
  for (let u = 0; u < 40; u++) {
    const base = Math.floor(rnd() * 30);
    const n = 2 + Math.floor(rnd() * 6);
    const bought = new Set<number>();
    for (let k = 0; k < n; k++) bought.add((base + Math.floor(rnd() * 5)) % 30);
    for (const i of bought)
      pairs.push({ userId: `u${u}`, itemId: `i${i}`, rows: 1, lastAt: new Date('2026-01-01T00:00:00Z') });
  }
  return pairs;
}

const DAY = 86_400_000;

describe('trendingWindowEnd', () => {
  const now = Date.parse('2026-12-06T00:00:00Z');

  it('ends at the clock while the shop sold within the window, or has no sales at all', () => {
    expect(trendingWindowEnd(now, now - 1000)).toBe(now);
    expect(trendingWindowEnd(now, now - 30 * DAY)).toBe(now);
    expect(trendingWindowEnd(now, undefined)).toBe(now);
    expect(trendingWindowEnd(now, now - 8 * DAY, 7)).toBe(now - 8 * DAY + 1);
  });

  it("ends just after the latest sale when that is older than the window: the shop's own last days", () => {
    const latest = Date.parse('2011-12-09T12:50:00Z');
    expect(trendingWindowEnd(now, latest)).toBe(latest + 1);
    expect(trendingWindowEnd(now, now - 30 * DAY - 1)).toBe(now - 30 * DAY);
  });
});

describe('PurchaseSignals.fromPairs: trending', () => {
  const bought = (userId: string, itemId: string, at: string): PurchasePair => ({
    userId,
    itemId,
    rows: 1,
    lastAt: new Date(at),
  });
  // Two items sold in the history's last month, one only before it; the history ended years before the clock.
  const history = [
    bought('u1', 'late', '2011-12-01T10:00:00Z'),
    bought('u2', 'late', '2011-12-09T12:00:00Z'),
    bought('u3', 'also-late', '2011-11-15T09:00:00Z'),
    bought('u4', 'early', '2011-06-01T09:00:00Z'),
    bought('u5', 'early', '2011-06-02T09:00:00Z'),
    bought('u6', 'early', '2011-06-03T09:00:00Z'),
  ];

  it("counts an old history's trending over its own last 30 days, as at the day after it", () => {
    const years = PurchaseSignals.fromPairs(history, new Date('2026-12-06T00:00:00Z'));
    const dayAfter = PurchaseSignals.fromPairs(history, new Date('2011-12-10T00:00:00Z'));
    for (const m of [years, dayAfter]) {
      expect([m.recentBuyersOf('late'), m.recentBuyersOf('also-late'), m.recentBuyersOf('early')]).toEqual([
        2, 1, 0,
      ]);
      expect(m.trending.slice(0, 2)).toEqual(['late', 'also-late']);
      expect(m.popular[0]).toBe('early');
    }
  });

  it('counts a shop selling now over the 30 days before the clock', () => {
    const live = [...history, bought('u7', 'early', '2026-12-05T09:00:00Z')];
    const m = PurchaseSignals.fromPairs(live, new Date('2026-12-06T00:00:00Z'));
    expect([m.recentBuyersOf('late'), m.recentBuyersOf('also-late'), m.recentBuyersOf('early')]).toEqual([
      0, 0, 1,
    ]);
  });
});

describe('PurchaseSignals.parts', () => {
  it('makes a copy that numbers every item with the same row, whatever order the counts came in', () => {
    const asOf = new Date('2026-02-01T00:00:00Z');
    const model = PurchaseSignals.fromPairs(shop(5), asOf);
    // Counts out of order, one item bought only recently as far as they say, one never bought.
    const columns = model.parts().counts;
    const counts = [
      { itemId: 'late', buyers: 0, recentBuyers: 2, repeatBuyers: 0 },
      ...columns.ids
        .map((itemId, k) => ({
          itemId,
          buyers: columns.buyers[k],
          recentBuyers: columns.recentBuyers[k],
          repeatBuyers: columns.repeatBuyers[k],
        }))
        .reverse(),
      { itemId: 'unsold', buyers: 0, recentBuyers: 0, repeatBuyers: 1 },
    ];
    const original = new PurchaseSignals(counts, model.parts().lists, asOf, model.parts().lists);
    const p = original.parts();
    // Passed as another thread receives them: a structured clone of the columns.
    expect(p.counts.buyers).toBeInstanceOf(Float64Array);
    const copy = new PurchaseSignals(structuredClone(p.counts), p.lists, p.asOf, p.transitions);
    expect(copy.idsByRow).toEqual(original.idsByRow);
    expect(copy.buyersOf('late')).toBe(0);
    expect(copy.recentBuyersOf('late')).toBe(2);
    expect(original.idsByRow.length).toBeGreaterThan(20);
    for (const id of [...original.idsByRow, 'unsold', 'nothing'])
      expect([id, copy.rowOf(id)]).toEqual([id, original.rowOf(id)]);
    expect(copy.popular).toEqual(original.popular);
  });
});

describe('PurchaseSignals.withCoPurchase', () => {
  const model = PurchaseSignals.fromPairs(shop(3), new Date('2026-02-01T00:00:00Z'));
  const sources = ['i3', 'i4', 'i17', 'not-an-item'];

  // The reference: the generator API, summed in a Map.
  const expected = new Map<string, { score: number; best: number; via: string }>();
  for (const s of sources)
    for (const [id, sim] of model.neighbours(s)) {
      const e = expected.get(id) ?? { score: 0, best: 0, via: s };
      e.score += sim;
      if (sim > e.best) {
        e.best = sim;
        e.via = s;
      }
      expected.set(id, e);
    }

  it('sums similarities over the sources and names the strongest source', () => {
    expect(expected.size).toBeGreaterThan(5);
    model.withCoPurchase(sources, (co) => {
      for (const [id, e] of expected) {
        const got = co.of(id);
        expect(got.score).toBeCloseTo(e.score, 10);
        expect(got.via).toBe(e.via);
      }
      expect(co.of('i999')).toEqual({ score: 0 });
    });
  });

  it('ranks every neighbour by score and starts clean on the next call', () => {
    const ranked = model.withCoPurchase(sources, (co) => [...co.ranked()]);
    expect(new Set(ranked)).toEqual(new Set(expected.keys()));
    for (let i = 1; i < ranked.length; i++)
      expect(expected.get(ranked[i - 1])!.score).toBeGreaterThanOrEqual(
        expected.get(ranked[i])!.score - 1e-12,
      );
    // Scratch arrays are reused: a second call with one source must not see the first call's sums.
    model.withCoPurchase(['i3'], (co) => {
      for (const [id, sim] of model.neighbours('i3')) expect(co.of(id).score).toBeCloseTo(sim, 10);
      expect([...co.ranked()]).toHaveLength([...model.neighbours('i3')].length);
    });
  });
});

describe('PurchaseSignals.paced', () => {
  it("builds a large shop's signals a slice at a time, answering as the constructor does", async () => {
    // 60,000 items (several slices, sorted runs to merge), buyer counts with many ties (broken by id in
    // code-unit order, where a digit sorts before an upper-case letter and that before a lower-case one).
    const random = mulberry32(3);
    const counts = Array.from({ length: 60_000 }, (_, k) => ({
      itemId: `${'aZ9'[k % 3]}${(k * 7919) % 60_000}`,
      buyers: Math.floor(random() * 40),
      recentBuyers: Math.floor(random() * 5),
      repeatBuyers: Math.floor(random() * 3),
    }));
    const asOf = new Date('2026-02-01T00:00:00Z');
    const lists = PurchaseSignals.fromPairs(shop(9), asOf).parts().lists;
    let turns = 0;
    const paced = await PurchaseSignals.paced(counts, lists, asOf, lists, async () => {
      turns += 1;
      await new Promise<void>((resolve) => setImmediate(resolve));
    });
    const whole = new PurchaseSignals(counts, lists, asOf, lists);
    expect(turns).toBeGreaterThan(1);
    expect(paced.popular).toEqual(whole.popular);
    expect(paced.trending).toEqual(whole.trending);
    expect(paced.idsByRow).toEqual(whole.idsByRow);
    expect([...paced.logBuyersAt]).toEqual([...whole.logBuyersAt]);
    expect([...paced.reorderRateAt]).toEqual([...whole.reorderRateAt]);
    // The order itself, against a plain sort: buyers descending, then id in code-unit order.
    const expected = counts
      .filter((c) => c.buyers > 0)
      .sort((a, b) => b.buyers - a.buyers || (a.itemId < b.itemId ? -1 : 1))
      .map((c) => c.itemId);
    expect(paced.popular).toEqual(expected);
    for (const id of ['i3', 'i7', counts[5].itemId]) expect(paced.rowOf(id)).toBe(whole.rowOf(id));
  });
});

describe('PurchaseSignals.neighboursAt / transitionsAt', () => {
  it('give each row the lists neighboursOf and transitionsOf give its id, duplicates and empty lists included', () => {
    // Item b is named twice (its later list wins, as a map keeps the last), c has an empty list (none), and d
    // has lists but no buyers: it has a row only as somebody's neighbour.
    const lists = NeighbourLists.fromCsr(
      ['a', 'b', 'c', 'b', 'd'],
      Int32Array.of(0, 2, 3, 3, 5, 6),
      ['b', 'd', 'a', 'a', 'd', 'a'],
      Float32Array.of(0.9, 0.5, 0.8, 0.7, 0.3, 0.6),
    );
    const transitions = NeighbourLists.fromCsr(
      ['d', 'a', 'a'],
      Int32Array.of(0, 1, 1, 3),
      ['a', 'b', 'd'],
      Float32Array.of(1, 0.75, 0.25),
    );
    const counts = ['a', 'b', 'c', 'e'].map((itemId) => ({
      itemId,
      buyers: 2,
      recentBuyers: 1,
      repeatBuyers: 0,
    }));
    const model = new PurchaseSignals(counts, lists, new Date('2026-02-01T00:00:00Z'), transitions);
    const plain = (l: ItemNeighbours) => ({ ids: [...l.ids], sims: Array.from(l.sims) });
    expect(plain(model.neighboursOf('b'))).toEqual({
      ids: ['a', 'd'],
      sims: [Math.fround(0.7), Math.fround(0.3)],
    });
    expect(plain(model.transitionsOf('a'))).toEqual({ ids: ['b', 'd'], sims: [0.75, 0.25] });
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      const row = model.rowOf(id);
      expect([id, row >= 0]).toEqual([id, true]);
      expect([id, plain(model.neighboursAt(row))]).toEqual([id, plain(model.neighboursOf(id))]);
      expect([id, plain(model.transitionsAt(row))]).toEqual([id, plain(model.transitionsOf(id))]);
    }
    expect(model.neighboursAt(model.rowOf('c')).rows.length).toBe(0);
    expect(model.transitionsAt(model.rowOf('e')).rows.length).toBe(0);
  });
});
