import { Client } from 'pg';
import type { RowQuery } from '../src/events/learning-events';
import { countEventsAndUsers, recentlyActiveUsers, userCountPlan } from '../src/events/user-activity';
import { createTestDatabase, type TestDatabase } from './support/database';

/**
 * The stats' counts and the list warmer's most recently active users read only part of the event log (the newest
 * events, one index descent per user): they must say exactly what grouping the whole log says, whatever the plan.
 */
describe('user activity read without grouping the whole log (real PostgreSQL)', () => {
  let db: TestDatabase;
  let pg: Client;
  const query: RowQuery = async (sql, params) => (await pg.query<Record<string, unknown>>(sql, params)).rows;
  /** The definition, grouped the slow way. */
  const byGrouping = async (limit: number) =>
    (
      await pg.query<{ user_id: string }>(
        `SELECT user_id FROM events GROUP BY user_id ORDER BY max(occurred_at) DESC, user_id LIMIT $1`,
        [limit],
      )
    ).rows.map((r) => r.user_id);
  const insert = (rows: Array<[user: string, at: string]>) =>
    pg.query(
      `INSERT INTO events (user_id, item_id, type, occurred_at)
       SELECT u, 'item', 'view', t::timestamptz FROM unnest($1::text[], $2::text[]) AS x(u, t)`,
      [rows.map((r) => r[0]), rows.map((r) => r[1])],
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg?.end();
    await db?.drop();
  });
  beforeEach(async () => {
    await pg.query(`TRUNCATE events`);
  });

  it('orders users by their latest event, from any first round, down to the microsecond and on ties', async () => {
    await insert([
      ['ann', '2024-01-01T10:00:00.000001Z'],
      ['ann', '2024-01-01T09:00:00Z'],
      ['bob', '2024-01-01T10:00:00.000900Z'],
      ['bob', '2024-01-01T08:00:00Z'],
      ['bob', '2024-01-01T07:00:00Z'],
      ['cid', '2024-01-01T10:00:00.000500Z'],
      ['dan', '2024-01-01T10:00:00.000500Z'],
      ['eve', '2024-01-01T06:00:00Z'],
      ['eve', '2024-01-01T05:00:00Z'],
    ]);
    // bob (.000900), then cid and dan tied (.000500, by id), ann (.000001), eve.
    const expected = ['bob', 'cid', 'dan', 'ann', 'eve'];
    for (const firstScan of [1, 2, 3, 4, 5, 9, 100])
      for (let limit = 1; limit <= 6; limit++)
        expect(await recentlyActiveUsers(query, limit, firstScan)).toEqual(expected.slice(0, limit));
    expect(await recentlyActiveUsers(query, 0)).toEqual([]);
    // Never analysed (this file's first test): no statistics to choose by.
    expect(await userCountPlan(query)).toBe('distinct');
  });

  it('says what grouping the log says on a larger log, in rounds and whole', async () => {
    // 4,000 events of 300 users with skewed activity, seeded.
    let seed = 11;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const rows: Array<[string, string]> = Array.from({ length: 4000 }, () => [
      `u${Math.floor(rand() ** 2 * 300)}`,
      new Date(Date.UTC(2024, 0, 1) + Math.floor(rand() * 90 * 86_400_000)).toISOString(),
    ]);
    await insert(rows);
    await pg.query('ANALYZE events');
    for (const limit of [1, 10, 150, 299, 1000])
      for (const firstScan of [1, 7, 100, 5000, undefined])
        expect(await recentlyActiveUsers(query, limit, firstScan)).toEqual(await byGrouping(limit));
    const users = new Set(rows.map((r) => r[0])).size;
    for (const plan of ['skip-scan', 'distinct'] as const)
      expect(await countEventsAndUsers(query, plan)).toEqual({ events: 4000, users });
    // Users come back here (~13 events each): skipping along the user index is the cheaper plan.
    expect(await userCountPlan(query)).toBe('skip-scan');
    expect(await countEventsAndUsers(query)).toEqual({ events: 4000, users });
  });

  it('counts by count(DISTINCT) where nearly every event is another user’s', async () => {
    await insert([['solo', '2024-01-01T00:00:00Z']]);
    await insert(
      Array.from({ length: 2000 }, (_, i): [string, string] => [`one-off-${i}`, '2024-01-02T00:00:00Z']),
    );
    await pg.query('ANALYZE events');
    expect(await userCountPlan(query)).toBe('distinct');
    for (const plan of ['skip-scan', 'distinct'] as const)
      expect(await countEventsAndUsers(query, plan)).toEqual({ events: 2001, users: 2001 });
  });

  it('answers an empty log', async () => {
    expect(await recentlyActiveUsers(query, 10, 1)).toEqual([]);
    for (const plan of ['skip-scan', 'distinct'] as const)
      expect(await countEventsAndUsers(query, plan)).toEqual({ events: 0, users: 0 });
  });
});
