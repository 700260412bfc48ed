import { UserChanges } from '../events/user-changes';
import type { AppConfig } from '../config/app-config';
import { estimateEntryBytes, RecommendationCache } from './recommendation-cache';
import type { RecommendationList } from './response';

const list = (ids: string[]): RecommendationList => ({
  items: ids.map((id, i) => ({ id, score: 1 - i / 10 })),
  modelVersion: 'v1',
  strategy: 'personalized',
});

type Bounds = Pick<
  AppConfig,
  'recsCacheMaxListsPerUser' | 'recsCacheMaxLists' | 'recsCacheMaxBytesPerUser' | 'recsCacheMaxBytes'
>;
const LOOSE: Bounds = {
  recsCacheMaxListsPerUser: 1000,
  recsCacheMaxLists: 1_000_000,
  recsCacheMaxBytesPerUser: 1e9,
  recsCacheMaxBytes: 1e9,
};

function cache(ttl = 1000, maxUsers = 3, bounds: Partial<Bounds> = {}) {
  const changes = new UserChanges();
  const c = new RecommendationCache(
    { recsCacheTtlMs: ttl, recsCacheMaxUsers: maxUsers, ...LOOSE, ...bounds } as AppConfig,
    changes,
  );
  return { c, changes };
}

/** A list of `n` items with ids of `idLength` characters, as a client's options could make it. */
const sized = (n: number, idLength = 12) =>
  list(Array.from({ length: n }, (_, i) => String(i).padStart(idLength, 'x')));

describe('RecommendationCache', () => {
  const blend = { cos: 1 };

  it('returns a stored list for the same user, key and inputs', () => {
    const { c } = cache();
    c.set('u1', 'k', ['v1', blend], list(['a', 'b']), 0, 0);
    expect(c.get('u1', 'k', ['v1', blend], 10)?.items.map((i) => i.id)).toEqual(['a', 'b']);
    expect(c.get('u1', 'other', ['v1', blend], 10)).toBeUndefined();
    expect(c.get('u2', 'k', ['v1', blend], 10)).toBeUndefined();
  });

  it('misses when an input changed (another model version, another blend object) or the TTL passed', () => {
    const { c } = cache();
    c.set('u1', 'k', ['v1', blend], list(['a']), 0, 0);
    expect(c.get('u1', 'k', ['v2', blend], 10)).toBeUndefined();
    c.set('u1', 'k', ['v1', blend], list(['a']), 0, 0);
    expect(c.get('u1', 'k', ['v1', { ...blend }], 10)).toBeUndefined();
    c.set('u1', 'k', ['v1', blend], list(['a']), 0, 0);
    expect(c.get('u1', 'k', ['v1', blend], 1000)).toBeDefined();
    expect(c.get('u1', 'k', ['v1', blend], 1001)).toBeUndefined();
  });

  it('a sweep drops the users none of whose lists was read or written within the TTL, and only them', () => {
    const { c } = cache(1000, 10);
    c.set('idle', 'k', ['v1'], list(['a', 'b']), 0, 0);
    c.set('reader', 'k', ['v1'], list(['a']), 0, 0);
    c.set('writer', 'k', ['v1'], list(['a']), 0, 0);
    c.set('writer', 'k2', ['v1'], list(['c']), 0, 700);
    expect(c.get('reader', 'k', ['v1'], 800)).toBeDefined();
    c.sweep(1001);
    expect(c.users).toBe(2);
    expect(c.lists).toBe(3);
    expect(c.get('idle', 'k', ['v1'], 1001)).toBeUndefined();
    c.sweep(1801);
    // The reader's list expired at 1000 and was not read since 800; the writer's second list is 1101 ms old.
    expect(c.users).toBe(0);
    expect(c.lists).toBe(0);
    expect(c.bytes).toBe(0);
  });

  it('misses from the moment a list expires (a rule window boundary), well within the TTL', () => {
    const { c } = cache();
    c.set('u1', 'k', ['v1'], list(['a']), 0, 0, 300);
    expect(c.get('u1', 'k', ['v1'], 299)).toBeDefined();
    expect(c.isFresh('u1', 'k', ['v1'], 299)).toBe(true);
    expect(c.isFresh('u1', 'k', ['v1'], 300)).toBe(false);
    expect(c.get('u1', 'k', ['v1'], 300)).toBeUndefined();
  });

  it("drops a user's lists when their events change", () => {
    const { c, changes } = cache();
    c.set('u1', 'k', ['v1'], list(['a']), 0, 0);
    c.set('u2', 'k', ['v1'], list(['b']), 0, 0);
    changes.publish(['u1']);
    expect(c.get('u1', 'k', ['v1'], 1)).toBeUndefined();
    expect(c.get('u2', 'k', ['v1'], 1)).toBeDefined();
  });

  it('keeps at most RECS_CACHE_MAX_USERS users, dropping the least recently written', () => {
    const { c } = cache(1000, 2);
    c.set('u1', 'k', [], list(['a']), 0, 0);
    c.set('u2', 'k', [], list(['b']), 0, 0);
    c.set('u1', 'k2', [], list(['c']), 0, 0);
    c.set('u3', 'k', [], list(['d']), 0, 0);
    expect(c.users).toBe(2);
    expect(c.get('u2', 'k', [], 1)).toBeUndefined();
    expect(c.get('u1', 'k2', [], 1)).toBeDefined();
    expect(c.get('u3', 'k', [], 1)).toBeDefined();
  });

  it("refuses a list computed while the user's events changed (read in flight during an ingest)", () => {
    const { c, changes } = cache();
    const ticket = c.ticket();
    changes.publish(['u1']);
    c.set('u1', 'k', [], list(['stale']), ticket, 0);
    expect(c.get('u1', 'k', [], 1)).toBeUndefined();
    c.set('u2', 'k', [], list(['other user']), ticket, 0);
    expect(c.get('u2', 'k', [], 1)).toBeDefined();
    c.set('u1', 'k', [], list(['fresh']), c.ticket(), 0);
    expect(c.get('u1', 'k', [], 1)?.items[0].id).toBe('fresh');
  });

  it('stores nothing when switched off', () => {
    const { c } = cache(0);
    expect(c.enabled).toBe(false);
    c.set('u1', 'k', [], list(['a']), 0, 0);
    expect(c.users).toBe(0);
  });

  describe('bounds (a client-chosen key such as minPrice must not grow memory)', () => {
    it('keeps at most RECS_CACHE_MAX_LISTS_PER_USER lists per user, dropping the least recently used', () => {
      const { c } = cache(1000, 10, { recsCacheMaxListsPerUser: 3 });
      for (let p = 0; p < 1000; p++) c.set('u1', `minPrice=${p}`, [], list(['a']), 0, 0);
      expect(c.lists).toBe(3);
      expect(c.get('u1', 'minPrice=999', [], 1)).toBeDefined();
      expect(c.get('u1', 'minPrice=996', [], 1)).toBeUndefined();

      // A hit makes a list recently used: the next write evicts another one.
      const { c: c2 } = cache(1000, 10, { recsCacheMaxListsPerUser: 2 });
      c2.set('u1', 'a', [], list(['a']), 0, 0);
      c2.set('u1', 'b', [], list(['b']), 0, 0);
      expect(c2.get('u1', 'a', [], 1)).toBeDefined();
      c2.set('u1', 'c', [], list(['c']), 0, 0);
      expect(c2.get('u1', 'a', [], 1)).toBeDefined();
      expect(c2.get('u1', 'b', [], 1)).toBeUndefined();
    });

    it("one user's key churn evicts that user's own lists, not other users'", () => {
      const { c } = cache(1000, 10, { recsCacheMaxListsPerUser: 4 });
      c.set('quiet', 'k', [], list(['q']), 0, 0);
      for (let p = 0; p < 500; p++) c.set('noisy', `minPrice=${p}`, [], list(['a']), 0, 0);
      expect(c.get('quiet', 'k', [], 1)).toBeDefined();
      expect(c.lists).toBe(5);
    });

    it('keeps at most RECS_CACHE_MAX_BYTES_PER_USER estimated bytes per user', () => {
      const one = estimateEntryBytes('minPrice=100', sized(50));
      const { c } = cache(1000, 10, { recsCacheMaxBytesPerUser: 4 * one });
      for (let p = 100; p < 600; p++) c.set('u1', `minPrice=${p}`, [], sized(50), 0, 0);
      // Four entries would leave no room for the user's own bookkeeping: three fit.
      expect(c.lists).toBe(3);
      expect(c.bytes).toBeLessThanOrEqual(4 * one);
      expect(c.get('u1', 'minPrice=599', [], 1)).toBeDefined();
    });

    it('keeps at most RECS_CACHE_MAX_LISTS lists and RECS_CACHE_MAX_BYTES bytes over all users', () => {
      const { c } = cache(1000, 1_000_000, { recsCacheMaxLists: 50 });
      for (let u = 0; u < 40; u++) for (let p = 0; p < 5; p++) c.set(`u${u}`, `p${p}`, [], list(['a']), 0, 0);
      expect(c.lists).toBe(50);
      // The most recent user's lists are all there; the oldest users went first.
      for (let p = 0; p < 5; p++) expect(c.get('u39', `p${p}`, [], 1)).toBeDefined();
      expect(c.get('u0', 'p4', [], 1)).toBeUndefined();

      const budget = 200_000;
      const { c: c2 } = cache(1000, 1_000_000, { recsCacheMaxBytes: budget });
      for (let u = 0; u < 2000; u++) c2.set(`u${u}`, `minPrice=${u}`, [], sized(100, 32), 0, 0);
      expect(c2.bytes).toBeLessThanOrEqual(budget);
      expect(c2.bytes).toBeGreaterThan(budget / 2);
      expect(c2.get('u1999', 'minPrice=1999', [], 1)).toBeDefined();
    });

    it('counts what it drops: totals return to zero when every list is gone', () => {
      const { c, changes } = cache(1000, 10, { recsCacheMaxListsPerUser: 2 });
      for (let p = 0; p < 5; p++) c.set('u1', `p${p}`, [], sized(10), 0, 0);
      c.set('u2', 'k', [], sized(10), 0, 0);
      c.set('u2', 'k', [], sized(20), 0, 0); // replaced, not added
      expect(c.lists).toBe(3);
      expect(c.get('u2', 'k', [], 5000)).toBeUndefined(); // expired: dropped on read
      changes.publish(['u1']);
      expect(c.lists).toBe(0);
      expect(c.bytes).toBe(0);
      expect(c.users).toBe(0);
    });

    it('does not keep a list larger than a byte bound on its own', () => {
      const { c } = cache(1000, 10, { recsCacheMaxBytesPerUser: 1000 });
      c.set('u1', 'small', [], list(['a']), 0, 0);
      c.set('u1', 'huge', [], sized(100, 100), 0, 0);
      expect(c.get('u1', 'huge', [], 1)).toBeUndefined();
      expect(c.get('u1', 'small', [], 1)).toBeDefined();
    });

    it('estimates bytes from what a client controls: the number of items and the length of ids', () => {
      const small = estimateEntryBytes('k', sized(10, 10));
      // Each further item costs at least its id (two bytes a character) and an array slot.
      expect(estimateEntryBytes('k', sized(100, 10)) - small).toBeGreaterThanOrEqual(90 * (2 * 10 + 8));
      // Two bytes per character at least, for each listed id.
      expect(estimateEntryBytes('k', sized(10, 1010)) - small).toBeGreaterThanOrEqual(10 * 1000 * 2);
    });
  });
});
