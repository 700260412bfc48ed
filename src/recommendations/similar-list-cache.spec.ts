import type { SimilarList } from '../ranking/similar-ranking';
import { SimilarListCache } from './similar-list-cache';

const list = (id: string): SimilarList => ({ ids: [id], scores: Float32Array.of(1), sources: ['vector'] });

describe('SimilarListCache', () => {
  it('holds at most its capacity, evicting the oldest list not read since it was held', () => {
    const cache = new SimilarListCache(3);
    cache.set('a', list('a'));
    cache.set('b', list('b'));
    cache.set('c', list('c'));
    expect(cache.get('a')?.ids).toEqual(['a']);
    cache.set('d', list('d'));
    // a was read: spared and moved back; b, the oldest unread, leaves.
    expect(['a', 'b', 'c', 'd'].filter((id) => cache.has(id))).toEqual(['a', 'c', 'd']);
    cache.set('e', list('e'));
    // a's second chance is spent: c is now the oldest unread after a was moved back, and leaves.
    expect(['a', 'c', 'd', 'e'].filter((id) => cache.has(id))).toEqual(['a', 'd', 'e']);
    expect(cache.size).toBe(3);
  });

  it('evicts even when every held list was read', () => {
    const cache = new SimilarListCache(2);
    cache.set('a', list('a'));
    cache.set('b', list('b'));
    cache.get('a');
    cache.get('b');
    cache.set('c', list('c'));
    expect(cache.size).toBe(2);
    expect(cache.has('c')).toBe(true);
    // Both lost their flag on the pass; the first looked at again (a) left, never the list going in.
    expect(cache.has('a')).toBe(false);
    expect(cache.has('b')).toBe(true);
  });

  it('drops every list when the inputs change, and holds nothing with capacity 0', () => {
    const cache = new SimilarListCache(2);
    const index = {};
    cache.sync([index, 1]);
    cache.set('a', list('a'));
    cache.sync([index, 1]);
    expect(cache.has('a')).toBe(true);
    cache.sync([index, 2]);
    expect(cache.has('a')).toBe(false);
    const off = new SimilarListCache(0);
    off.set('a', list('a'));
    expect(off.size).toBe(0);
  });
});
