import { loadConfig } from '../src/config/config.schema';
import { LearningEvents } from '../src/events/learning-events.service';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from './support/database';
import { createDataSource } from '../src/database/data-source';
import { EventsRepository, type NewEvent } from '../src/events/events.repository';

const at = (iso: string) => new Date(iso);

function event(
  userId: string,
  itemId: string,
  type: NewEvent['type'],
  occurredAt: string,
  value?: number,
): NewEvent {
  return {
    eventId: null,
    userId,
    itemId,
    type,
    value: value ?? null,
    sessionId: null,
    occurredAt: at(occurredAt),
  };
}

// The profile read runs as a named prepared statement with array rows (database/prepared-query.ts): what it
// returns must be what the events say, to the millisecond, on every pooled connection that prepared it.
describe('the profile read (EventsRepository.recentItemAggregates)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let events: EventsRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await createDataSource(db.url).initialize();
    events = new EventsRepository(ds, new LearningEvents(ds, loadConfig({ DATABASE_URL: db.url })));
    await events.insert([
      event('u1', 'A', 'purchase', '2024-01-01T10:00:00.123Z'),
      event('u1', 'A', 'view', '2024-01-02T08:00:00.456Z'),
      event('u1', 'B', 'rating', '2024-01-01T09:00:00.000Z', 2),
      event('u1', 'B', 'rating', '2024-01-03T09:00:00.789Z', 5),
      event('u1', 'C', 'add_to_cart', '2024-01-04T00:00:00.001Z'),
      event('u1', 'D', 'purchase', '2024-02-01T00:00:00.000Z'),
      event('u2', 'A', 'purchase', '2024-01-05T00:00:00.000Z'),
    ]);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const byItem = (rows: Awaited<ReturnType<EventsRepository['recentItemAggregates']>>) =>
    [...rows].sort((a, b) => (a.itemId < b.itemId ? -1 : 1));

  it('aggregates the user’s events before the clock per item, with the last event to the millisecond', async () => {
    const rows = byItem(await events.recentItemAggregates('u1', at('2024-01-31T00:00:00Z'), 1000));
    expect(rows).toEqual([
      {
        itemId: 'A',
        events: 2,
        purchases: 1,
        addToCarts: 0,
        views: 1,
        rating: null,
        lastAt: at('2024-01-02T08:00:00.456Z'),
      },
      {
        itemId: 'B',
        events: 2,
        purchases: 0,
        addToCarts: 0,
        views: 0,
        rating: 5,
        lastAt: at('2024-01-03T09:00:00.789Z'),
      },
      {
        itemId: 'C',
        events: 1,
        purchases: 0,
        addToCarts: 1,
        views: 0,
        rating: null,
        lastAt: at('2024-01-04T00:00:00.001Z'),
      },
    ]);
  });

  it('counts only the most recent `limit` events', async () => {
    const rows = byItem(await events.recentItemAggregates('u1', at('2024-03-01T00:00:00Z'), 2));
    expect(rows.map((r) => [r.itemId, r.events, r.lastAt.toISOString()])).toEqual([
      ['C', 1, '2024-01-04T00:00:00.001Z'],
      ['D', 1, '2024-02-01T00:00:00.000Z'],
    ]);
  });

  it('answers the same on every pooled connection, many times over (the statement is prepared once per connection)', async () => {
    const clock = at('2024-01-31T00:00:00Z');
    const first = byItem(await events.recentItemAggregates('u1', clock, 1000));
    const again = await Promise.all(
      Array.from({ length: 30 }, (_, i) => events.recentItemAggregates(i % 2 ? 'u1' : 'u2', clock, 1000)),
    );
    again.forEach((rows, i) => {
      if (i % 2) expect(byItem(rows)).toEqual(first);
      else
        expect(rows.map((r) => [r.itemId, r.purchases, r.lastAt.toISOString()])).toEqual([
          ['A', 1, '2024-01-05T00:00:00.000Z'],
        ]);
    });
  });
});
