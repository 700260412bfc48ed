import type { SimilarList } from '../ranking/similar-ranking';
import type { RecommendationList } from './response';
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

  describe('held answers', () => {
    const answer = (strategy: string): RecommendationList => ({ items: [], modelVersion: 'v1', strategy });

    it('are held by key until the catalog changes', () => {
      const cache = new SimilarListCache(10);
      cache.finish('a', answer('one'), cache.version);
      expect(cache.finished('a')?.strategy).toBe('one');
      expect(cache.finished('b')).toBeUndefined();
      cache.catalogChanged();
      expect(cache.finished('a')).toBeUndefined();
    });

    it('go when the held lists inputs change', () => {
      const cache = new SimilarListCache(10);
      const index = {};
      cache.sync([index, 1]);
      cache.finish('a', answer('one'), cache.version);
      cache.sync([index, 1]);
      expect(cache.finished('a')).toBeDefined();
      cache.sync([index, 2]);
      expect(cache.finished('a')).toBeUndefined();
    });

    it('are not held when made across a drop', () => {
      const cache = new SimilarListCache(10);
      const version = cache.version;
      cache.catalogChanged();
      cache.finish('a', answer('stale'), version);
      expect(cache.finished('a')).toBeUndefined();
    });

    it('are bounded by the capacity, the oldest leaving first, and not held with capacity 0', () => {
      const cache = new SimilarListCache(2);
      for (const k of ['a', 'b', 'c']) cache.finish(k, answer(k), cache.version);
      expect(['a', 'b', 'c'].map((k) => cache.finished(k)?.strategy)).toEqual([undefined, 'b', 'c']);
      // By items too: 12 a list on average, 24 for two, so 20 and 4 fit, and another 5 evicts the oldest.
      const byItems = new SimilarListCache(2);
      const ofSize = (n: number): RecommendationList => ({
        items: Array.from({ length: n }, (_, i) => ({ id: `i${i}`, score: 1 })),
        modelVersion: 'v1',
        strategy: `${n}`,
      });
      byItems.finish('twenty', ofSize(20), byItems.version);
      byItems.finish('five', ofSize(4), byItems.version);
      expect(byItems.finished('twenty')).toBeDefined();
      byItems.finish('more', ofSize(5), byItems.version);
      expect(byItems.finished('twenty')).toBeUndefined();
      expect(byItems.finished('five')).toBeDefined();
      expect(byItems.finished('more')).toBeDefined();
      byItems.finish('huge', ofSize(25), byItems.version);
      expect(byItems.finished('huge')).toBeUndefined();
      expect(byItems.finished('more')).toBeDefined();
      const off = new SimilarListCache(0);
      off.finish('a', answer('a'), off.version);
      expect(off.finished('a')).toBeUndefined();
    });
  });
});
