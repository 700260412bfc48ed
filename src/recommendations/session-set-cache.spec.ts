import type { PackedSet } from '../session-thread/packed-set';
import { packedSetBytes, SessionSetCache } from './session-set-cache';

const packed = (size: number, ids = 'abc'): PackedSet => ({
  size,
  ids,
  buffer: new ArrayBuffer(size * 88),
  rejected: '',
});

describe('SessionSetCache', () => {
  const index = {};
  const signals = {};
  const inputs = [index, signals];

  it('gives back a held set while its inputs are the same objects, and counts hits and misses', () => {
    const cache = new SessionSetCache(1_000_000);
    const p = packed(10);
    expect(cache.get('s', inputs)).toBeUndefined();
    cache.set('s', inputs, p, ['a', 'b'], cache.ticket());
    expect(cache.get('s', [index, signals])).toBe(p);
    expect(cache.get('other', inputs)).toBeUndefined();
    expect(cache.stats()).toEqual({
      entries: 1,
      bytes: packedSetBytes('s', p, 2),
      maxBytes: 1_000_000,
      hits: 1,
      misses: 2,
      droppedByCatalog: 0,
    });
  });

  it('drops every set when the index or the signals change', () => {
    const cache = new SessionSetCache(1_000_000);
    for (const changed of [
      [{}, signals],
      [index, {}],
    ]) {
      cache.get('s', inputs);
      cache.set('s', inputs, packed(10), ['a'], cache.ticket());
      expect(cache.get('s', changed)).toBeUndefined();
      expect(cache.stats().entries).toBe(0);
      // And the old inputs do not bring it back.
      expect(cache.get('s', inputs)).toBeUndefined();
    }
  });

  it('drops on a catalog change only the sets that read a changed item, candidate or rejected', () => {
    const cache = new SessionSetCache(1_000_000);
    cache.get('s', inputs);
    cache.set('ab', inputs, packed(2), ['a', 'b'], cache.ticket());
    cache.set('cd', inputs, packed(2), ['c', 'd'], cache.ticket());
    cache.set('ce', inputs, packed(2), ['e', 'c'], cache.ticket());
    // An item no set read: every set stays.
    cache.catalogChanged(['zz']);
    expect(cache.stats()).toMatchObject({ entries: 3, droppedByCatalog: 0 });
    cache.catalogChanged(['zz', 'c']);
    expect(cache.get('ab', inputs)).toBeDefined();
    expect(cache.get('cd', inputs)).toBeUndefined();
    expect(cache.get('ce', inputs)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 1, droppedByCatalog: 2 });
    cache.catalogChanged(['b']);
    expect(cache.get('ab', inputs)).toBeUndefined();
  });

  it('drops every set when the catalog is read again, or a change names many items', () => {
    const cache = new SessionSetCache(1_000_000);
    cache.get('s', inputs);
    cache.set('ab', inputs, packed(2), ['a', 'b'], cache.ticket());
    cache.catalogChanged('all');
    expect(cache.get('ab', inputs)).toBeUndefined();
    cache.set('ab', inputs, packed(2), ['a', 'b'], cache.ticket());
    cache.catalogChanged(Array.from({ length: 65 }, (_, i) => `other-${i}`));
    expect(cache.get('ab', inputs)).toBeUndefined();
    expect(cache.stats().droppedByCatalog).toBe(2);
  });

  it('does not hold a set gathered across a change of the inputs or of the catalog', () => {
    const cache = new SessionSetCache(1_000_000);
    cache.get('s', inputs);
    // Another request saw other signals while this one was gathering.
    const before = cache.ticket();
    cache.get('t', [index, {}]);
    cache.set('s', inputs, packed(10), ['a'], before);
    expect(cache.get('s', inputs)).toBeUndefined();
    // A catalog change, even of an item the set did not read (it may have read it before the change).
    const ticket = cache.ticket();
    cache.catalogChanged(['zz']);
    cache.set('s', inputs, packed(10), ['a'], ticket);
    expect(cache.get('s', inputs)).toBeUndefined();
    cache.set('s', inputs, packed(10), ['a'], cache.ticket());
    expect(cache.get('s', inputs)).toBeDefined();
  });

  it('keeps to its byte bound, the least recently used set leaving first', () => {
    const one = packedSetBytes('a', packed(100), 1);
    const cache = new SessionSetCache(3 * one);
    cache.get('a', inputs);
    for (const k of ['a', 'b', 'c']) cache.set(k, inputs, packed(100), ['x'], cache.ticket());
    expect(cache.get('a', inputs)).toBeDefined(); // a is now the most recently used
    cache.set('d', inputs, packed(100), ['x'], cache.ticket());
    expect(cache.stats().entries).toBe(3);
    expect(cache.stats().bytes).toBeLessThanOrEqual(3 * one);
    expect(cache.get('b', inputs)).toBeUndefined();
    for (const k of ['a', 'c', 'd']) expect(cache.get(k, inputs)).toBeDefined();
    // A set larger than the whole bound is not held, and evicts nothing.
    cache.set('huge', inputs, packed(1000), ['x'], cache.ticket());
    expect(cache.get('huge', inputs)).toBeUndefined();
    expect(cache.stats().entries).toBe(3);
  });

  it('holds nothing when its bound is 0', () => {
    const cache = new SessionSetCache(0);
    expect(cache.enabled).toBe(false);
    cache.set('s', [index], packed(1), ['a'], cache.ticket());
    expect(cache.get('s', [index])).toBeUndefined();
    expect(cache.stats().entries).toBe(0);
  });
});
