import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ServedListsRepository, type ServedList } from '../src/attribution/served-lists.repository';
import { createDataSource } from '../src/database/data-source';
import { createTestDatabase, type TestDatabase } from './support/database';

/** Ids an API accepts (no NUL, no unpaired surrogate) that a text format could mangle. */
const AWKWARD = [
  'plain',
  'NULL',
  '\\N',
  'a,b',
  '{braced}',
  'say "hi"',
  'back\\slash',
  'tab\tand\nnewline\r',
  ' spaced ',
  'ünïcødé-商品-🛒',
  '.',
];

function list(over: Partial<ServedList> = {}): ServedList {
  return {
    recommId: randomUUID(),
    source: 'session',
    isPlacement: false,
    userId: null,
    sessionId: null,
    variant: null,
    experimentId: null,
    itemTeams: null,
    modelVersion: null,
    strategy: 'session-blend',
    itemIds: ['a', 'b'],
    servedAt: Date.UTC(2026, 11, 5, 10, 30, 0, 123),
    ...over,
  };
}

interface Row {
  recomm_id: string;
  source: string;
  is_placement: boolean;
  user_id: string | null;
  session_id: string | null;
  variant: string | null;
  experiment_id: string | null;
  item_teams: string[] | null;
  model_version: string | null;
  strategy: string;
  item_ids: string[];
  served_at: Date;
}

describe('served lists written to PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let repo: ServedListsRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await createDataSource(db.url).initialize();
    repo = new ServedListsRepository(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const read = async (ids: string[]): Promise<Map<string, Row>> => {
    const rows: Row[] = await ds.query(`SELECT * FROM served_lists WHERE recomm_id = ANY($1::varchar[])`, [
      ids,
    ]);
    return new Map(rows.map((r) => [r.recomm_id, r]));
  };

  it('reads back every field as written, awkward text and NULLs included', async () => {
    const lists = [
      list({ itemIds: AWKWARD }),
      list({
        source: 'home-page\tplacement',
        isPlacement: true,
        userId: 'user "42"\\',
        sessionId: 'sess,{1}',
        variant: 'B',
        experimentId: 'exp-1',
        itemTeams: ['A', 'B', 'NULL'],
        modelVersion: 'ft-1',
        strategy: 'interleaved',
        itemIds: ['x', 'y', 'NULL'],
        servedAt: Date.UTC(2026, 0, 1, 0, 0, 0, 1),
      }),
      list({ itemIds: [] }),
    ];
    await repo.insert(lists);
    const stored = await read(lists.map((l) => l.recommId));
    expect(stored.size).toBe(3);
    for (const l of lists) {
      const r = stored.get(l.recommId)!;
      expect({
        source: r.source,
        isPlacement: r.is_placement,
        userId: r.user_id,
        sessionId: r.session_id,
        variant: r.variant,
        experimentId: r.experiment_id,
        itemTeams: r.item_teams,
        modelVersion: r.model_version,
        strategy: r.strategy,
        itemIds: r.item_ids,
        servedAt: r.served_at.getTime(),
      }).toEqual({
        source: l.source,
        isPlacement: l.isPlacement,
        userId: l.userId,
        sessionId: l.sessionId,
        variant: l.variant,
        experimentId: l.experimentId,
        itemTeams: l.itemTeams,
        modelVersion: l.modelVersion,
        strategy: l.strategy,
        itemIds: l.itemIds,
        servedAt: l.servedAt,
      });
    }
    expect(await repo.sources(lists.map((l) => l.recommId))).toEqual(
      new Map(lists.map((l) => [l.recommId, l.source])),
    );
  });

  it('marks the days written as stale for the analytics rollups, as an INSERT did', async () => {
    await ds.query(`DELETE FROM analytics_stale`);
    await repo.insert([
      list({ servedAt: Date.UTC(2026, 5, 7, 23, 59) }),
      list({ servedAt: Date.UTC(2026, 5, 8, 0, 1) }),
    ]);
    const days: Array<{ d: string }> = await ds.query(
      `SELECT DISTINCT to_char(list_day, 'YYYY-MM-DD') AS d FROM analytics_stale ORDER BY d`,
    );
    expect(days.map((r) => r.d)).toEqual(['2026-06-07', '2026-06-08']);
  });

  it('writes a batch whole or not at all: a repeated recommId stores none of it', async () => {
    const first = list();
    await repo.insert([first]);
    const batch = [list(), list({ recommId: first.recommId }), list()];
    await expect(repo.insert(batch)).rejects.toThrow(/duplicate key/);
    expect((await read(batch.map((l) => l.recommId))).size).toBe(1);
    // The connection that failed went back to the pool usable: the next batch is written.
    const next = [list(), list()];
    await repo.insert(next);
    expect((await read(next.map((l) => l.recommId))).size).toBe(2);
  });

  it('writes a batch of 500 ten-item lists as one', async () => {
    const batch = Array.from({ length: 500 }, (_, i) =>
      list({ itemIds: Array.from({ length: 10 }, (_, k) => `item-${(i * 7 + k) % 997}`) }),
    );
    await repo.insert(batch);
    const stored = await read(batch.map((l) => l.recommId));
    expect(stored.size).toBe(500);
    expect(
      batch.every((l) => JSON.stringify(stored.get(l.recommId)!.item_ids) === JSON.stringify(l.itemIds)),
    ).toBe(true);
  });
});
