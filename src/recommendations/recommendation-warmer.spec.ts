import { Logger } from '@nestjs/common';
import { loadConfig } from '../config/config.schema';
import type { EventsRepository } from '../events/events.repository';
import type { IndexService } from '../vector-index/index.service';
import type { VectorIndex } from '../vector-index/vector-index.port';
import { ListWarmers } from './list-warmers';
import { RecommendationWarmer } from './recommendation-warmer';
import type { RecommendationsService } from './recommendations.service';

describe('RecommendationWarmer: similar lists the catalog outgrows', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  /** A warmer over an index of `size` items that holds `held` similar lists (no users to warm). */
  function warmer(served: { index: VectorIndex | undefined }, held: number): RecommendationWarmer {
    const recs = { precomputeSimilar: () => Promise.resolve(0) } as unknown as RecommendationsService;
    const events = { recentlyActiveUsers: () => Promise.resolve([]) } as unknown as EventsRepository;
    const index = { current: () => served.index } as unknown as IndexService;
    const config = loadConfig({ RECS_SIMILAR_CACHE_ITEMS: String(held) });
    return new RecommendationWarmer(recs, events, index, config, false, new ListWarmers());
  }
  const indexOf = (size: number) => ({ size }) as VectorIndex;
  const warnings = () =>
    warn.mock.calls.map(([m]) => String(m)).filter((m) => m.includes('RECS_SIMILAR_CACHE_ITEMS'));

  it('warns once per index when it holds more items than similar lists are held for', async () => {
    const served = { index: indexOf(120) };
    const w = warmer(served, 100);
    await w.pass();
    await w.pass();
    expect(warnings()).toEqual([
      '120 items are indexed, but RECS_SIMILAR_CACHE_ITEMS holds the similar lists of 100: the other product ' +
        'pages rank theirs on every request. Set it above the catalog size.',
    ]);
    served.index = indexOf(130);
    await w.pass();
    expect(warnings()).toHaveLength(2);
    expect(warnings()[1]).toMatch(/^130 items are indexed/);
  });

  it('says nothing while every item fits, or when holding is off', async () => {
    await warmer({ index: indexOf(100) }, 100).pass();
    await warmer({ index: indexOf(5000) }, 0).pass();
    expect(warnings()).toEqual([]);
  });
});
