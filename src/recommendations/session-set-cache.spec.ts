import type { RuleFieldChange } from '../catalog/catalog-snapshot';
import type { ExaminedItems, PackedSet } from '../session-thread/packed-set';
import type { RecommendationList } from './response';
import { packedSetBytes, SessionSetCache } from './session-set-cache';

const packed = (size: number, ids = 'abc'): PackedSet => ({
  size,
  ids,
  buffer: new ArrayBuffer(size * 88),
  byteOffset: 0,
  byteLength: size * 88,
  examinedRows: 0,
  examinedIds: '',
});

/** The signals' rows: items a–e and x sold (row 10 + their place), u-… never (no row). */
const SOLD = ['a', 'b', 'c', 'd', 'e', 'x'];
const rowOf = (id: string) => (SOLD.includes(id) ? 10 + SOLD.indexOf(id) : -1);

/** How a change touched the items it names: `how` for each (stock, category, coming or going by default). */
const touched = (ids: string[], how: RuleFieldChange = 'rules') =>
  new Map(ids.map((id) => [id, how] as const));

/** What a gathering that read `ids` reports: rows ascending, the rest by id. */
function read(...ids: string[]): ExaminedItems {
  return {
    rows: Int32Array.from(ids.map(rowOf).filter((r) => r >= 0)).sort(),
    ids: ids.filter((id) => rowOf(id) < 0),
  };
}

describe('SessionSetCache', () => {
  const index = {};
  const signals = {};
  const inputs = [index, signals];

  it('gives back a held set while its inputs are the same objects, and counts hits and misses', () => {
    const cache = new SessionSetCache(1_000_000);
    const p = packed(10);
    expect(cache.get('s', inputs)).toBeUndefined();
    cache.set('s', inputs, p, read('a', 'b'), cache.ticket());
    expect(cache.get('s', [index, signals])).toBe(p);
    expect(cache.get('other', inputs)).toBeUndefined();
    expect(cache.stats()).toEqual({
      entries: 1,
      bytes: packedSetBytes('s', p),
      maxBytes: 1_000_000,
      hits: 1,
      misses: 2,
      droppedByCatalog: 0,
      answerHits: 0,
      firstAsks: 0,
    });
  });

  it("holds a set packed in a slot of the session thread's arena as a copy: the slot's next set leaves it whole", () => {
    const cache = new SessionSetCache(1_000_000);
    const arena = new SharedArrayBuffer(2 * 1024);
    const bytes = new Uint8Array(arena, 1024, 10 * 80);
    bytes.forEach((_, i) => (bytes[i] = i % 251));
    // The set read items a and b (rows 10, 11), whose rows end it.
    const examined = { rows: new Int32Array(arena, 1024 + 10 * 80, 2), ids: [] };
    examined.rows.set([rowOf('a'), rowOf('b')]);
    const inSlot: PackedSet = { ...packed(10), buffer: arena, byteOffset: 1024, byteLength: 10 * 80 + 8 };
    expect(cache.get('s', inputs)).toBeUndefined();
    cache.set('s', inputs, inSlot, examined, cache.ticket());
    new Uint8Array(arena).fill(0);
    const held = cache.get('s', inputs)!;
    expect(held.buffer).toBeInstanceOf(ArrayBuffer);
    expect(held.byteOffset).toBe(0);
    expect(Array.from(new Uint8Array(held.buffer, 0, 10 * 80))).toEqual(
      Array.from({ length: 10 * 80 }, (_, i) => i % 251),
    );
    // The rows it read were copied too: a change of b still drops it, one of c does not.
    cache.catalogChanged(['c'], rowOf, touched(['c']));
    expect(cache.stats().entries).toBe(1);
    cache.catalogChanged(['b'], rowOf, touched(['b']));
    expect(cache.stats()).toMatchObject({ entries: 0, droppedByCatalog: 1 });
  });

  it('drops every set when the index or the signals change', () => {
    const cache = new SessionSetCache(1_000_000);
    for (const changed of [
      [{}, signals],
      [index, {}],
    ]) {
      cache.get('s', inputs);
      cache.set('s', inputs, packed(10), read('a'), cache.ticket());
      expect(cache.get('s', changed)).toBeUndefined();
      expect(cache.stats().entries).toBe(0);
      // And the old inputs do not bring it back.
      expect(cache.get('s', inputs)).toBeUndefined();
    }
  });

  it('drops on a catalog change only the sets that read a changed item, candidate or rejected', () => {
    const cache = new SessionSetCache(1_000_000);
    cache.get('s', inputs);
    cache.set('ab', inputs, packed(2), read('a', 'b'), cache.ticket());
    cache.set('cd', inputs, packed(2), read('c', 'd'), cache.ticket());
    cache.set('ce', inputs, packed(2), read('e', 'c'), cache.ticket());
    // An item no set read: every set stays.
    cache.catalogChanged(['zz'], rowOf, touched(['zz']));
    expect(cache.stats()).toMatchObject({ entries: 3, droppedByCatalog: 0 });
    cache.catalogChanged(['zz', 'c'], rowOf, touched(['zz', 'c']));
    expect(cache.get('ab', inputs)).toBeDefined();
    expect(cache.get('cd', inputs)).toBeUndefined();
    expect(cache.get('ce', inputs)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 1, droppedByCatalog: 2 });
    cache.catalogChanged(['b'], rowOf, touched(['b']));
    expect(cache.get('ab', inputs)).toBeUndefined();
  });

  it('finds the items without a row by id, and never mistakes a row for one', () => {
    const cache = new SessionSetCache(1_000_000);
    cache.get('s', inputs);
    cache.set('a-u1', inputs, packed(2), read('a', 'u-1'), cache.ticket());
    cache.set('u2', inputs, packed(2), read('u-2'), cache.ticket());
    cache.set('b', inputs, packed(2), read('b'), cache.ticket());
    // u-1 is number 0 among the unsold, and a sold item whose row is 0 would match it if they were mixed up.
    cache.catalogChanged(['zero'], (id) => (id === 'zero' ? 0 : rowOf(id)), touched(['zero']));
    expect(cache.stats()).toMatchObject({ entries: 3, droppedByCatalog: 0 });
    cache.catalogChanged(['u-1'], rowOf, touched(['u-1']));
    expect(cache.get('a-u1', inputs)).toBeUndefined();
    expect(cache.get('u2', inputs)).toBeDefined();
    cache.catalogChanged(['u-2', 'b'], rowOf, touched(['u-2', 'b']));
    expect(cache.stats()).toMatchObject({ entries: 0, droppedByCatalog: 3 });
  });

  it('drops every set when the catalog is read again, or a change names many items', () => {
    const cache = new SessionSetCache(1_000_000);
    cache.get('s', inputs);
    cache.set('ab', inputs, packed(2), read('a', 'b'), cache.ticket());
    cache.catalogChanged('all', rowOf, new Map());
    expect(cache.get('ab', inputs)).toBeUndefined();
    cache.set('ab', inputs, packed(2), read('a', 'b'), cache.ticket());
    const many = Array.from({ length: 65 }, (_, i) => `other-${i}`);
    // Only the items whose rule fields changed count: 65 new titles are no change at all.
    cache.catalogChanged(many, rowOf, new Map());
    expect(cache.get('ab', inputs)).toBeDefined();
    cache.catalogChanged(many, rowOf, touched(many));
    expect(cache.get('ab', inputs)).toBeUndefined();
    expect(cache.stats().droppedByCatalog).toBe(2);
  });

  it('drops for a new price only the sets whose rules bound the price, and for no rule-field change none', () => {
    const cache = new SessionSetCache(1_000_000);
    cache.get('s', inputs);
    cache.set('free', inputs, packed(2), read('a', 'u-1'), cache.ticket(), false);
    cache.set('bounded', inputs, packed(2), read('a', 'u-1'), cache.ticket(), true);
    // a's title changed (its id is named, its rule fields are not).
    cache.catalogChanged(['a'], rowOf, new Map());
    expect(cache.stats()).toMatchObject({ entries: 2, droppedByCatalog: 0 });
    cache.catalogChanged(['a'], rowOf, touched(['a'], 'price'));
    expect(cache.get('bounded', inputs)).toBeUndefined();
    expect(cache.get('free', inputs)).toBeDefined();
    cache.set('bounded', inputs, packed(2), read('a', 'u-1'), cache.ticket(), true);
    // An unsold item's price, then its stock.
    cache.catalogChanged(['u-1'], rowOf, touched(['u-1'], 'price'));
    expect(cache.get('bounded', inputs)).toBeUndefined();
    expect(cache.get('free', inputs)).toBeDefined();
    cache.catalogChanged(['u-1'], rowOf, touched(['u-1']));
    expect(cache.get('free', inputs)).toBeUndefined();
  });

  it('does not hold a set gathered across a change of the inputs or of the catalog', () => {
    const cache = new SessionSetCache(1_000_000);
    cache.get('s', inputs);
    // Another request saw other signals while this one was gathering.
    const before = cache.ticket();
    cache.get('t', [index, {}]);
    cache.set('s', inputs, packed(10), read('a'), before);
    expect(cache.get('s', inputs)).toBeUndefined();
    // A catalog change, even of an item the set did not read (it may have read it before the change).
    const ticket = cache.ticket();
    cache.catalogChanged(['zz'], rowOf, touched(['zz']));
    cache.set('s', inputs, packed(10), read('a'), ticket);
    expect(cache.get('s', inputs)).toBeUndefined();
    cache.set('s', inputs, packed(10), read('a'), cache.ticket());
    expect(cache.get('s', inputs)).toBeDefined();
  });

  it('keeps to its byte bound, the least recently used set leaving first', () => {
    const one = packedSetBytes('a', packed(100));
    const cache = new SessionSetCache(3 * one);
    cache.get('a', inputs);
    for (const k of ['a', 'b', 'c']) cache.set(k, inputs, packed(100), read('x'), cache.ticket());
    expect(cache.get('a', inputs)).toBeDefined(); // a is now the most recently used
    cache.set('d', inputs, packed(100), read('x'), cache.ticket());
    expect(cache.stats().entries).toBe(3);
    expect(cache.stats().bytes).toBeLessThanOrEqual(3 * one);
    expect(cache.get('b', inputs)).toBeUndefined();
    for (const k of ['a', 'c', 'd']) expect(cache.get(k, inputs)).toBeDefined();
    // A set larger than the whole bound is not held, and evicts nothing.
    cache.set('huge', inputs, packed(1000), read('x'), cache.ticket());
    expect(cache.get('huge', inputs)).toBeUndefined();
    expect(cache.stats().entries).toBe(3);
  });

  it('from the second ask, holds no set of a key asked once, and keeps the sets asked again', () => {
    const one = packedSetBytes('a', packed(100));
    const cache = new SessionSetCache(3 * one, 2);
    cache.get('a', inputs);
    cache.set('a', inputs, packed(100), read('x'), cache.ticket());
    expect(cache.get('a', inputs)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0, firstAsks: 1 });
    // Asked again, it is held.
    const p = packed(100);
    cache.set('a', inputs, p, read('x'), cache.ticket());
    expect(cache.get('a', inputs)).toBe(p);
    // Carts asked once, however many, push out no set that was asked again.
    for (let i = 0; i < 50; i++) cache.set(`once-${i}`, inputs, packed(100), read('x'), cache.ticket());
    expect(cache.stats()).toMatchObject({ entries: 1, firstAsks: 51 });
    expect(cache.get('a', inputs)).toBe(p);
    // A set gathered from inputs no longer served is not held, and does not count as a first ask.
    const other = [index, {}];
    cache.get('b', other);
    cache.set('b', inputs, packed(100), read('x'), cache.ticket());
    expect(cache.stats().firstAsks).toBe(51);
  });

  it('admits a set to be packed from the second ask of its key, which then is held', () => {
    const cache = new SessionSetCache(1_000_000, 2);
    cache.get('a', inputs);
    expect(cache.admits('a', inputs)).toBe(false);
    expect(cache.stats()).toMatchObject({ entries: 0, firstAsks: 1 });
    // Asked again: admitted, and the set it then packs is held (the doorkeeper asked once more says the same).
    cache.get('a', inputs);
    expect(cache.admits('a', inputs)).toBe(true);
    const p = packed(100);
    cache.set('a', inputs, p, read('x'), cache.ticket());
    expect(cache.get('a', inputs)).toBe(p);
    expect(cache.stats()).toMatchObject({ entries: 1, firstAsks: 1 });
    // Inputs no longer served admit nothing, and count no first ask; from the first ask, every key is admitted.
    expect(cache.admits('b', [index, {}])).toBe(false);
    expect(cache.stats().firstAsks).toBe(1);
    const fromFirst = new SessionSetCache(1_000_000, 1);
    fromFirst.get('c', inputs);
    expect(fromFirst.admits('c', inputs)).toBe(true);
    expect(new SessionSetCache(0).admits('c', inputs)).toBe(false);
  });

  it('holds nothing when its bound is 0', () => {
    const cache = new SessionSetCache(0);
    expect(cache.enabled).toBe(false);
    cache.set('s', [index], packed(1), read('a'), cache.ticket());
    expect(cache.get('s', [index])).toBeUndefined();
    expect(cache.stats().entries).toBe(0);
  });

  describe('held answers', () => {
    const list = (strategy: string): RecommendationList => ({
      items: [{ id: 'a', score: 1 }],
      modelVersion: 'v1',
      strategy,
    });
    const blend = {};
    const held = () => {
      const cache = new SessionSetCache(1_000_000);
      cache.get('s', inputs);
      cache.set('s', inputs, packed(10), read('a', 'b'), cache.ticket());
      cache.holdAnswer('s', inputs, '10', blend, list('held'), 1000, cache.ticket());
      return cache;
    };

    it('answer the same shape under the same blend, and count it', () => {
      const cache = held();
      expect(cache.answer('s', '10', blend, 1000)?.strategy).toBe('held');
      expect(cache.answer('s', '20', blend, 1000)).toBeUndefined();
      expect(cache.answer('s', '10', {}, 1000)).toBeUndefined();
      expect(cache.answer('t', '10', blend, 1000)).toBeUndefined();
      // Later, yes; for an earlier time, no (it was judged only as time moves on).
      expect(cache.answer('s', '10', blend, 5000)?.strategy).toBe('held');
      expect(cache.answer('s', '10', blend, 999)).toBeUndefined();
      expect(cache.stats().answerHits).toBe(2);
    });

    it('are void after any catalog change, even one the set itself survives', () => {
      const cache = held();
      // A new title of an item no set read: the set stays, the answer goes.
      cache.catalogChanged(['zz'], rowOf, new Map());
      expect(cache.get('s', inputs)).toBeDefined();
      expect(cache.answer('s', '10', blend, 1000)).toBeUndefined();
    });

    it('go with their set, and with a change of the inputs', () => {
      const cache = held();
      cache.catalogChanged(['a'], rowOf, touched(['a']));
      expect(cache.answer('s', '10', blend, 1000)).toBeUndefined();
      const other = held();
      expect(other.get('s', [index, {}])).toBeUndefined();
      expect(other.answer('s', '10', blend, 1000)).toBeUndefined();
    });

    it('are not held across a change of the catalog or the inputs', () => {
      const cache = new SessionSetCache(1_000_000);
      cache.get('s', inputs);
      cache.set('s', inputs, packed(10), read('a'), cache.ticket());
      const ticket = cache.ticket();
      cache.catalogChanged(['zz'], rowOf, new Map());
      cache.holdAnswer('s', inputs, '10', blend, list('stale'), 1000, ticket);
      expect(cache.answer('s', '10', blend, 1000)).toBeUndefined();
      // A request that began under other inputs (an index swapped since) may not answer for this set.
      cache.holdAnswer('s', [{}, signals], '10', blend, list('other index'), 1000, cache.ticket());
      expect(cache.answer('s', '10', blend, 1000)).toBeUndefined();
      cache.holdAnswer('none', [{}, signals], '10', blend, list('no set, other index'), 1000, cache.ticket());
      expect(cache.answer('none', '10', blend, 1000)).toBeUndefined();
    });

    it("of a cart asked once are held on their own, a tenth of a set's bytes, though its set is not", () => {
      const cache = new SessionSetCache(1_000_000, 2);
      expect(cache.get('s', inputs)).toBeUndefined();
      cache.set('s', inputs, packed(100), read('a', 'b'), cache.ticket());
      cache.holdAnswer('s', inputs, '10', blend, list('first ask'), 1000, cache.ticket());
      const alone = cache.stats();
      expect(alone).toMatchObject({ entries: 1, firstAsks: 1 });
      expect(alone.bytes).toBeLessThan(packedSetBytes('s', packed(100)) / 10);
      // Asked again: no set to rank, but the same shape gets the answer (the same object), and counts as such.
      expect(cache.get('s', inputs)).toBeUndefined();
      expect(cache.answer('s', '10', blend, 2000)?.strategy).toBe('first ask');
      expect(cache.answer('s', '20', blend, 2000)).toBeUndefined();
      expect(cache.stats()).toMatchObject({ hits: 0, misses: 2, answerHits: 1 });
      // Another shape is gathered and, asked before, its set is held in place of the lone answer.
      cache.set('s', inputs, packed(100), read('a', 'b'), cache.ticket());
      expect(cache.get('s', inputs)).toBeDefined();
      expect(cache.stats()).toMatchObject({
        entries: 1,
        firstAsks: 1,
        bytes: packedSetBytes('s', packed(100)),
      });
    });

    it('on their own go with any catalog change or a change of the inputs, and leave nothing behind', () => {
      const alone = (key: string, cache = new SessionSetCache(1_000_000, 2)) => {
        cache.get(key, inputs);
        cache.holdAnswer(key, inputs, '10', blend, list(key), 1000, cache.ticket());
        return cache;
      };
      const cache = alone('s');
      // A new title of an item the answer does not even show.
      cache.catalogChanged(['zz'], rowOf, new Map());
      expect(cache.get('s', inputs)).toBeUndefined();
      expect(cache.answer('s', '10', blend, 1000)).toBeUndefined();
      expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
      const other = alone('t');
      expect(other.get('t', [{}, signals])).toBeUndefined();
      expect(other.answer('t', '10', blend, 1000)).toBeUndefined();
      expect(other.stats()).toMatchObject({ entries: 0, bytes: 0 });
    });

    it('on their own keep to the byte bound, least recently answered first out', () => {
      const one = new SessionSetCache(1_000_000, 2);
      one.get('a', inputs);
      one.holdAnswer('a', inputs, '10', blend, list('a'), 1000, one.ticket());
      const each = one.stats().bytes;
      const cache = new SessionSetCache(2 * each, 2);
      for (const key of ['a', 'b']) {
        cache.get(key, inputs);
        cache.holdAnswer(key, inputs, '10', blend, list(key), 1000, cache.ticket());
      }
      // Answering `a` makes `b` the least recently used: a third answer pushes `b` out.
      expect(cache.answer('a', '10', blend, 1000)?.strategy).toBe('a');
      cache.get('c', inputs);
      cache.holdAnswer('c', inputs, '10', blend, list('c'), 1000, cache.ticket());
      expect(cache.answer('b', '10', blend, 1000)).toBeUndefined();
      expect(cache.answer('a', '10', blend, 1000)?.strategy).toBe('a');
      expect(cache.answer('c', '10', blend, 1000)?.strategy).toBe('c');
      expect(cache.stats().bytes).toBeLessThanOrEqual(2 * each);
      // Nothing is held when the bound is 0.
      const off = new SessionSetCache(0);
      off.holdAnswer('a', inputs, '10', blend, list('a'), 1000, off.ticket());
      expect(off.stats()).toMatchObject({ entries: 0, bytes: 0 });
    });

    it('count towards the byte bound', () => {
      const cache = held();
      expect(cache.stats().bytes).toBeGreaterThan(packedSetBytes('s', packed(10)));
    });
  });
});
