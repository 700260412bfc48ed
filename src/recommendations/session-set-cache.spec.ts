import type { PackedSet } from '../session-thread/packed-set';
import { packedSetBytes, SessionSetCache } from './session-set-cache';

const packed = (size: number, ids = 'abc'): PackedSet => ({ size, ids, buffer: new ArrayBuffer(size * 88) });

describe('SessionSetCache', () => {
  const index = {};
  const signals = {};

  it('gives back a held set while its inputs are the same objects, and counts hits and misses', () => {
    const cache = new SessionSetCache(1_000_000);
    const p = packed(10);
    expect(cache.get('s', [index, signals, 1])).toBeUndefined();
    cache.set('s', [index, signals, 1], p);
    expect(cache.get('s', [index, signals, 1])).toBe(p);
    expect(cache.get('other', [index, signals, 1])).toBeUndefined();
    expect(cache.stats()).toEqual({
      entries: 1,
      bytes: packedSetBytes('s', p),
      maxBytes: 1_000_000,
      hits: 1,
      misses: 2,
    });
  });

  it('drops every set when an input changes: another index, other signals, a catalog write', () => {
    const cache = new SessionSetCache(1_000_000);
    for (const changed of [
      [{}, signals, 1],
      [index, {}, 1],
      [index, signals, 2],
    ]) {
      cache.get('s', [index, signals, 1]);
      cache.set('s', [index, signals, 1], packed(10));
      expect(cache.get('s', changed)).toBeUndefined();
      expect(cache.stats().entries).toBe(0);
      // And the old inputs do not bring it back.
      expect(cache.get('s', [index, signals, 1])).toBeUndefined();
    }
  });

  it('does not hold a set gathered before the inputs changed', () => {
    const cache = new SessionSetCache(1_000_000);
    cache.get('s', [index, signals, 1]);
    // Another request saw a catalog write while this one was gathering.
    cache.get('t', [index, signals, 2]);
    cache.set('s', [index, signals, 1], packed(10));
    expect(cache.get('s', [index, signals, 2])).toBeUndefined();
    expect(cache.get('s', [index, signals, 1])).toBeUndefined();
  });

  it('keeps to its byte bound, the least recently used set leaving first', () => {
    const one = packedSetBytes('a', packed(100));
    const cache = new SessionSetCache(3 * one);
    const inputs = [index, signals, 1];
    cache.get('a', inputs);
    for (const k of ['a', 'b', 'c']) cache.set(k, inputs, packed(100));
    expect(cache.get('a', inputs)).toBeDefined(); // a is now the most recently used
    cache.set('d', inputs, packed(100));
    expect(cache.stats().entries).toBe(3);
    expect(cache.stats().bytes).toBeLessThanOrEqual(3 * one);
    expect(cache.get('b', inputs)).toBeUndefined();
    for (const k of ['a', 'c', 'd']) expect(cache.get(k, inputs)).toBeDefined();
    // A set larger than the whole bound is not held, and evicts nothing.
    cache.set('huge', inputs, packed(1000));
    expect(cache.get('huge', inputs)).toBeUndefined();
    expect(cache.stats().entries).toBe(3);
  });

  it('holds nothing when its bound is 0', () => {
    const cache = new SessionSetCache(0);
    expect(cache.enabled).toBe(false);
    cache.set('s', [index], packed(1));
    expect(cache.get('s', [index])).toBeUndefined();
    expect(cache.stats().entries).toBe(0);
  });
});
