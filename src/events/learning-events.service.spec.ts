import type { DataSource } from 'typeorm';
import { loadConfig } from '../config/config.schema';
import type { TypeCounts } from './learning-events';
import { LearningEvents } from './learning-events.service';

/**
 * An event log holding `counts` events per type, answering the queries LearningEvents asks (its size, its counts
 * by type, or, with no share to weigh, whether a type is present), and recording them.
 */
function harness(learnFrom: string, counts: Partial<TypeCounts>, minShare?: string) {
  const asked: string[] = [];
  const log: Partial<TypeCounts> = { ...counts };
  const db = {
    query: (sql: string, params: unknown[]) => {
      if (sql.includes('pg_relation_size')) {
        asked.push('size');
        return Promise.resolve([{ bytes: 8192 }]);
      }
      if (sql.includes('GROUP BY type')) {
        asked.push('counts');
        return Promise.resolve(
          Object.entries(log)
            .filter(([, n]) => n > 0)
            .map(([type, n]) => ({ type, n })),
        );
      }
      expect(sql).toMatch(/FROM events WHERE type = \$1 LIMIT 1/);
      const type = params[0] as keyof TypeCounts;
      asked.push(type);
      return Promise.resolve((log[type] ?? 0) > 0 ? [{ type }] : []);
    },
  } as unknown as DataSource;
  const config = loadConfig({
    LEARN_FROM: learnFrom,
    ...(minShare === undefined ? {} : { LEARN_FROM_MIN_SHARE: minShare }),
  });
  return { learning: new LearningEvents(db, config), asked, log };
}

const ALL = ['purchase', 'rating', 'add_to_cart', 'view'];

describe('LearningEvents', () => {
  afterEach(() => jest.useRealTimers());

  it('a named type is taken as it is, with every stronger type, without asking the log', async () => {
    const { learning, asked } = harness('add_to_cart', { purchase: 1 });
    expect(await learning.types()).toEqual(['purchase', 'rating', 'add_to_cart']);
    expect(learning.learnsFrom('add_to_cart')).toBe(true);
    expect(learning.learnsFrom('rating')).toBe(true);
    expect(learning.learnsFrom('view')).toBe(false);
    expect(asked).toEqual([]);
    const views = harness('view', {});
    expect(await views.learning.types()).toEqual(ALL);
  });

  it('auto learns from the ratings of a shop that sends reviews and no purchases, not from its views', async () => {
    const { learning } = harness('auto', { view: 300, rating: 100 });
    expect(await learning.types()).toEqual(['purchase', 'rating']);
    expect(learning.learnsFrom('rating')).toBe(true);
    expect(learning.learnsFrom('view')).toBe(false);
  });

  it('auto learns from purchases alone when they are at least LEARN_FROM_MIN_SHARE of what the shop sends', async () => {
    const { learning } = harness('auto', { purchase: 150, view: 850 });
    expect(await learning.types()).toEqual(['purchase']);
    expect(learning.learnsFrom('purchase')).toBe(true);
    expect(learning.learnsFrom('view')).toBe(false);
  });

  it('auto learns from the views too when the orders beside a clickstream are fewer than that share', async () => {
    const { learning } = harness('auto', { purchase: 20, add_to_cart: 40, view: 940 });
    expect(await learning.types()).toEqual(ALL);
    expect(learning.learnsFrom('view')).toBe(true);
    expect(learning.learnsFrom('purchase')).toBe(true);
    // Carts with purchases reach the share: the views are left out.
    const carts = harness('auto', { purchase: 20, add_to_cart: 90, view: 890 });
    expect(await carts.learning.types()).toEqual(['purchase', 'rating', 'add_to_cart']);
    // A share named lower keeps the purchases alone.
    const lower = harness('auto', { purchase: 20, add_to_cart: 40, view: 940 }, '0.02');
    expect(await lower.learning.types()).toEqual(['purchase']);
  });

  it('auto asks the log again after a minute, and its answer follows what the shop sent meanwhile', async () => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    const { learning, asked, log } = harness('auto', { purchase: 200, view: 800 });
    expect(await learning.types()).toEqual(['purchase']);
    log.view = 5000; // the shop starts sending its clickstream
    expect(await learning.types()).toEqual(['purchase']);
    expect(asked.filter((q) => q === 'counts')).toHaveLength(1);
    jest.setSystemTime(new Date('2026-01-01T00:01:01Z'));
    expect(await learning.types()).toEqual(ALL);
    expect(asked.filter((q) => q === 'counts')).toHaveLength(2);
  });

  it('auto on an empty log learns from the first events sent, asked again at once', async () => {
    const { learning, log } = harness('auto', {});
    expect(await learning.types()).toEqual(['purchase']);
    log.view = 3;
    expect(learning.learnsFrom('view')).toBe(true);
    expect(await learning.types()).toEqual(ALL);
  });

  it('with LEARN_FROM_MIN_SHARE 0, auto takes the strongest type sent however rare, and keeps purchases for good', async () => {
    const { learning, asked, log } = harness('auto', { view: 1000 }, '0');
    expect(await learning.types()).toEqual(ALL);
    expect(asked).toEqual(['purchase', 'rating', 'add_to_cart', 'view']);

    // More views change nothing; a first purchase has the log asked again at once, and purchases are then final.
    asked.length = 0;
    expect(learning.learnsFrom('view')).toBe(true);
    expect(await learning.types()).toEqual(ALL);
    expect(asked).toEqual([]);
    log.purchase = 1;
    expect(learning.learnsFrom('purchase')).toBe(true);
    expect(await learning.types()).toEqual(['purchase']);
    expect(learning.learnsFrom('view')).toBe(false);
    expect(await learning.types()).toEqual(['purchase']);
    expect(asked).toEqual(['purchase']);
  });
});
