import { UserChanges } from '../events/user-changes';
import type { AppConfig } from '../config/app-config';
import { RecommendationCache } from './recommendation-cache';
import type { RecommendationList } from './response';

const list = (ids: string[]): RecommendationList => ({
  items: ids.map((id, i) => ({ id, score: 1 - i / 10 })),
  modelVersion: 'v1',
  strategy: 'personalized',
});

function cache(ttl = 1000, maxUsers = 3) {
  const changes = new UserChanges();
  const c = new RecommendationCache(
    { recsCacheTtlMs: ttl, recsCacheMaxUsers: maxUsers } as AppConfig,
    changes,
  );
  return { c, changes };
}

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
});
