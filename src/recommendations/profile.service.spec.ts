import type { AppConfig } from '../config/app-config';
import type { EventsRepository, UserItemAggregate } from '../events/events.repository';
import { UserChanges } from '../events/user-changes';
import { historyBytes, PROFILE_IDLE_MS, ProfileService } from './profile.service';

const agg = (itemId: string): UserItemAggregate => ({
  itemId,
  events: 1,
  purchases: 1,
  addToCarts: 0,
  views: 0,
  rating: null,
  lastAt: new Date('2026-01-01T00:00:00Z'),
});

/** A hand-made events port that counts how often each user's history is read. */
function service(maxBytes = 1e9) {
  const reads = new Map<string, number>();
  const events = {
    recentItemAggregates: (userId: string) => {
      reads.set(userId, (reads.get(userId) ?? 0) + 1);
      return Promise.resolve([agg(`${userId}-a`), agg(`${userId}-b`)]);
    },
  } as unknown as EventsRepository;
  const config = {
    profileMaxEvents: 1000,
    profileHalfLifeDays: 60,
    profileCacheMaxBytes: maxBytes,
    eventWeights: { purchase: 1, add_to_cart: 0.5, view: 0.1 },
  } as AppConfig;
  const changes = new UserChanges();
  return { svc: new ProfileService(events, config, changes), reads, changes };
}

const now = new Date('2026-02-01T00:00:00Z');

describe('ProfileService cache', () => {
  it('reads a history once while it is used, again after the user’s events changed', async () => {
    const { svc, reads, changes } = service();
    expect((await svc.profile('u1', now)).items.map((i) => i.itemId)).toEqual(['u1-a', 'u1-b']);
    await svc.profile('u1', now);
    expect(reads.get('u1')).toBe(1);
    changes.publish(['u1']);
    await svc.profile('u1', now);
    expect(reads.get('u1')).toBe(2);
  });

  it('a sweep drops the histories unused for the idle time, and only them', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const { svc, reads } = service();
      await svc.profile('idle', now);
      await svc.profile('busy', now);
      jest.setSystemTime(1_000_000 + PROFILE_IDLE_MS / 2);
      await svc.profile('busy', now); // used again: kept past the first one's idle time
      svc.sweep(1_000_000 + PROFILE_IDLE_MS);
      expect(svc.users).toBe(2);
      svc.sweep(1_000_000 + PROFILE_IDLE_MS + 1);
      expect(svc.users).toBe(1);
      await svc.profile('busy', now);
      expect(reads.get('busy')).toBe(1);
      await svc.profile('idle', now);
      expect(reads.get('idle')).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps the estimated bytes under the bound, the least recently used user leaving first', async () => {
    const one = historyBytes('u1', [agg('u1-a'), agg('u1-b')]);
    const { svc, reads } = service(2 * one + 1);
    await svc.profile('u1', now);
    await svc.profile('u2', now);
    await svc.profile('u1', now); // u2 is now the least recently used
    await svc.profile('u3', now);
    expect(svc.users).toBe(2);
    expect(svc.cachedBytes).toBeLessThanOrEqual(2 * one + 1);
    await svc.profile('u1', now);
    await svc.profile('u3', now);
    expect(reads.get('u1')).toBe(1);
    expect(reads.get('u3')).toBe(1);
    await svc.profile('u2', now);
    expect(reads.get('u2')).toBe(2);
  });
});
