import type { DataSource } from 'typeorm';
import { loadConfig } from '../config/config.schema';
import { LearningEvents } from './learning-events.service';

/** An event log that holds `present` types, answering the one query LearningEvents asks, and counting it. */
function harness(learnFrom: string, present: string[]) {
  const asked: string[] = [];
  const db = {
    query: (sql: string, params: unknown[]) => {
      const type = params[0] as string;
      expect(sql).toMatch(/FROM events WHERE type = \$1 LIMIT 1/);
      asked.push(type);
      return Promise.resolve(present.includes(type) ? [{ type }] : []);
    },
  } as unknown as DataSource;
  return { learning: new LearningEvents(db, loadConfig({ LEARN_FROM: learnFrom })), asked, present };
}

describe('LearningEvents', () => {
  it('a named type is taken as it is, with every stronger type, without asking the log', async () => {
    const { learning, asked } = harness('add_to_cart', ['purchase']);
    expect(await learning.types()).toEqual(['purchase', 'rating', 'add_to_cart']);
    expect(learning.learnsFrom('add_to_cart')).toBe(true);
    expect(learning.learnsFrom('rating')).toBe(true);
    expect(learning.learnsFrom('view')).toBe(false);
    expect(asked).toEqual([]);
    const views = harness('view', []);
    expect(await views.learning.types()).toEqual(['purchase', 'rating', 'add_to_cart', 'view']);
  });

  it('auto learns from the ratings of a shop that sends reviews and no purchases, not from its views', async () => {
    const { learning, asked } = harness('auto', ['view', 'rating']);
    expect(await learning.types()).toEqual(['purchase', 'rating']);
    expect(asked).toEqual(['purchase', 'rating']);
    expect(learning.learnsFrom('rating')).toBe(true);
    expect(learning.learnsFrom('view')).toBe(false);
  });

  it('auto keeps purchases for good once found, and views do not change it', async () => {
    const { learning, asked } = harness('auto', ['view', 'purchase']);
    expect(await learning.types()).toEqual(['purchase']);
    expect(learning.learnsFrom('view')).toBe(false);
    expect(learning.learnsFrom('purchase')).toBe(true);
    expect(await learning.types()).toEqual(['purchase']);
    expect(asked).toEqual(['purchase']);
  });

  it('auto on an empty log learns from the first events sent, and from purchases once one arrives', async () => {
    const { learning, asked, present } = harness('auto', []);
    expect(await learning.types()).toEqual(['purchase']);
    expect(asked).toEqual(['purchase', 'rating', 'add_to_cart', 'view']);

    // The first views: the answer is asked again at once, not a minute later.
    present.push('view');
    expect(learning.learnsFrom('view')).toBe(true);
    expect(await learning.types()).toEqual(['purchase', 'rating', 'add_to_cart', 'view']);

    // More views change nothing; a first purchase has the log asked again, and purchases are then final.
    asked.length = 0;
    expect(learning.learnsFrom('view')).toBe(true);
    expect(await learning.types()).toEqual(['purchase', 'rating', 'add_to_cart', 'view']);
    expect(asked).toEqual([]);
    present.push('purchase');
    expect(learning.learnsFrom('purchase')).toBe(true);
    expect(await learning.types()).toEqual(['purchase']);
    expect(learning.learnsFrom('view')).toBe(false);
    expect(await learning.types()).toEqual(['purchase']);
    expect(asked).toEqual(['purchase']);
  });
});
