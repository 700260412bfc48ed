import request from 'supertest';
import { DataSource } from 'typeorm';
import { AnalyticsRollups } from '../src/attribution/analytics-rollups';
import { ServedListRecorder } from '../src/attribution/served-list.recorder';
import { ServedListsRepository } from '../src/attribution/served-lists.repository';
import { startTestApp, type TestApp } from './support/app';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const GROUP_SQL: Record<string, string> = {
  day: `to_char(date_trunc('day', l.served_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`,
  placement: 'l.source',
  variant: 'l.variant',
  modelVersion: 'l.model_version',
};

interface Row {
  day?: string;
  placement?: string;
  variant?: string | null;
  modelVersion?: string | null;
  lists: number;
  itemsShown: number;
  clicks: number;
  ctr: number;
  addToCarts: { reported: number; estimated: number };
  purchases: { reported: number; estimated: number };
  conversionRate: { reported: number; estimated: number };
  revenue: { reported: number; estimated: number };
  revenuePerThousandLists: { reported: number; estimated: number };
}

/**
 * The oracle: analytics as defined in api.md, written once, plainly, over the raw rows only (no rollup table
 * is read). Revenue is summed in numeric like the service, so equal data give equal figures to the last digit.
 */
async function oracle(
  db: DataSource,
  q: { from: Date; to: Date; placement?: string; groupBy: string[] },
): Promise<Row[]> {
  const cols = q.groupBy.map((g, i) => `${GROUP_SQL[g]} AS g${i}`);
  const refs = q.groupBy.map((_, i) => `g${i}`);
  const raw: Array<Record<string, string | number | null>> = await db.query(
    `WITH lists AS (
       SELECT * FROM served_lists
       WHERE served_at >= $1 AND served_at < $2 AND ($3::varchar IS NULL OR source = $3)
     ),
     reported AS (
       SELECT e.recomm_id,
              count(*) FILTER (WHERE e.type = 'view') AS clicks,
              count(*) FILTER (WHERE e.type = 'add_to_cart') AS carts,
              count(*) FILTER (WHERE e.type = 'purchase') AS purchases,
              sum(COALESCE(e.value, 1)::numeric * COALESCE(e.price, i.price, 0)::numeric)
                FILTER (WHERE e.type = 'purchase') AS revenue
       FROM events e JOIN lists l ON l.recomm_id = e.recomm_id
       LEFT JOIN items i ON i.id = e.item_id
       GROUP BY e.recomm_id
     ),
     estimated AS (
       SELECT hit.recomm_id, count(*) AS purchases,
              sum(COALESCE(e.value, 1)::numeric * COALESCE(e.price, i.price, 0)::numeric) AS revenue
       FROM events e
       LEFT JOIN items i ON i.id = e.item_id
       CROSS JOIN LATERAL (
         SELECT s.recomm_id FROM served_lists s
         WHERE (s.user_id = e.user_id OR (e.session_id IS NOT NULL AND s.session_id = e.session_id))
           AND s.served_at <= e.occurred_at AND s.served_at > e.occurred_at - interval '24 hours'
           AND e.item_id = ANY (s.item_ids)
         ORDER BY s.served_at DESC, s.recomm_id DESC
         LIMIT 1
       ) hit
       WHERE e.type = 'purchase' AND e.recomm_id IS NULL
       GROUP BY hit.recomm_id
     )
     SELECT ${cols.map((c) => `${c},`).join(' ')}
            count(*)::int AS lists,
            sum(cardinality(l.item_ids))::int AS shown,
            COALESCE(sum(r.clicks), 0)::int AS clicks,
            COALESCE(sum(r.carts), 0)::int AS carts,
            COALESCE(sum(r.purchases), 0)::int AS purchases,
            COALESCE(sum(r.revenue), 0)::float8 AS revenue,
            COALESCE(sum(x.purchases), 0)::int AS est_purchases,
            COALESCE(sum(x.revenue), 0)::float8 AS est_revenue
     FROM lists l
     LEFT JOIN reported r ON r.recomm_id = l.recomm_id
     LEFT JOIN estimated x ON x.recomm_id = l.recomm_id
     ${refs.length > 0 ? `GROUP BY ${refs.join(', ')} ORDER BY ${refs.join(', ')}` : ''}`,
    [q.from.toISOString(), q.to.toISOString(), q.placement ?? null],
  );
  return raw
    .filter((r) => Number(r.lists) > 0)
    .map((r) => {
      const lists = Number(r.lists);
      const n = (k: string) => Number(r[k]);
      const row: Row = {
        lists,
        itemsShown: n('shown'),
        clicks: n('clicks'),
        ctr: n('clicks') / lists,
        addToCarts: { reported: n('carts'), estimated: 0 },
        purchases: { reported: n('purchases'), estimated: n('est_purchases') },
        conversionRate: { reported: n('purchases') / lists, estimated: n('est_purchases') / lists },
        revenue: { reported: n('revenue'), estimated: n('est_revenue') },
        revenuePerThousandLists: {
          reported: (n('revenue') / lists) * 1000,
          estimated: (n('est_revenue') / lists) * 1000,
        },
      };
      q.groupBy.forEach((g, i) => {
        const v = r[`g${i}`] as string | null;
        if (g === 'day' || g === 'placement') row[g] = v ?? undefined;
        else (row as unknown as Record<string, unknown>)[g] = v;
      });
      return row;
    });
}

/** Daily rollups read where current, raw rows elsewhere: the answer must equal the oracle's at every moment. */
describe('analytics rollups (real PostgreSQL)', () => {
  let t: TestApp;
  const db = () => t.app.get(DataSource);
  const rollups = () => t.app.get(AnalyticsRollups);
  // A pass may already be running (an erasure asks for one); the second call runs after it, on current data.
  const settle = async () => {
    const a = await rollups().refresh();
    const b = await rollups().refresh();
    if (!a || !b) throw new Error('another process held the rollup lock');
    return {
      computed: a.computed + b.computed,
      recomputed: a.recomputed + b.recomputed,
      expired: a.expired + b.expired,
    };
  };
  let midnight = 0; // today, 00:00 UTC
  const at = (daysAgo: number, hours: number) => new Date(midnight - daysAgo * DAY + hours * HOUR);

  const queries = () => {
    const now = new Date();
    const ranges: Array<[Date, Date]> = [
      [new Date(now.getTime() - 9 * DAY), now],
      [at(6, 0), at(1, 0)],
      [at(4, 13.5), at(1, 7.25)],
    ];
    const groupings = [[], ['day'], ['placement', 'variant'], ['modelVersion', 'day']];
    return ranges.flatMap(([from, to]) =>
      groupings.flatMap((groupBy) =>
        [undefined, 'home'].map((placement) => ({ from, to, placement, groupBy })),
      ),
    );
  };
  const api = async (q: { from: Date; to: Date; placement?: string; groupBy: string[] }) => {
    const params = new URLSearchParams({ from: q.from.toISOString(), to: q.to.toISOString() });
    if (q.placement) params.set('placement', q.placement);
    if (q.groupBy.length > 0) params.set('groupBy', q.groupBy.join(','));
    const res = await request(t.server).get(`/v1/admin/analytics?${params.toString()}`);
    expect(res.status).toBe(200);
    return (res.body as { rows: Row[] }).rows;
  };
  const expectEqualToOracle = async () => {
    for (const q of queries()) {
      const label = `${q.from.toISOString()}..${q.to.toISOString()} ${q.placement ?? '*'} [${q.groupBy.join(',')}]`;
      expect({ label, rows: await api(q) }).toEqual({ label, rows: await oracle(db(), q) });
    }
  };
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await db().query<Array<{ n: string }>>(sql, params))[0].n);
  const rollupRows = () =>
    db().query<unknown[]>(
      `SELECT day::text, source, variant, model_version, lists, items_shown, clicks, carts, purchases,
              revenue::text, est_purchases, est_revenue::text
       FROM analytics_daily ORDER BY 1, 2, 3, 4`,
    );
  /** What the rollups hold now, against what a computation from nothing gives. */
  const expectRollupsRecomputable = async () => {
    const kept = await rollupRows();
    await db().query(`DELETE FROM analytics_days`);
    await settle();
    expect(await rollupRows()).toEqual(kept);
  };
  const post = async (events: unknown[]) => {
    const res = await request(t.server).post('/v1/events').send({ events });
    expect(res.status).toBe(202);
  };

  beforeAll(async () => {
    // Days are UTC days: keep the whole file on one side of midnight.
    const toMidnight = DAY - (Date.now() % DAY);
    if (toMidnight < 3 * 60_000) await new Promise((r) => setTimeout(r, toMidnight + 1000));
    midnight = Date.now() - (Date.now() % DAY);
    t = await startTestApp({
      STATS_REFRESH_MS: '0',
      SERVED_LISTS_RETENTION_DAYS: '10',
      ANALYTICS_ROLLUP_INTERVAL_MS: '3600000',
    });
    const items = [
      { id: 'a', title: 'Lamp a', price: 10 },
      { id: 'b', title: 'Lamp b', price: 2.5 },
      { id: 'c', title: 'Lamp c', price: 0.1 },
      { id: 'd', title: 'Lamp d', price: 7 },
      { id: 'e', title: 'Lamp e', price: 3.3 },
      { id: 'f', title: 'Lamp f' },
    ];
    expect((await request(t.server).put('/v1/items').send({ items })).status).toBe(200);
    // Lists over the last eight days: placement "home" with two variants, the "user" endpoint, two models.
    const lists: unknown[][] = [];
    const users = ['u1', 'u2', 'u3', 'u4'];
    for (let d = 8; d >= 0; d--) {
      for (let k = 0; k < 6; k++) {
        const hours = d === 0 ? Math.min(k * 0.1, (Date.now() - midnight) / HOUR / 2) : 1 + k * 3.7;
        const home = k % 3 !== 2;
        lists.push([
          `L${d}-${k}`,
          home ? 'home' : 'user',
          home,
          users[(d + k) % 4],
          k === 4 ? `s-${d}` : null,
          home ? (k % 2 === 0 ? 'A' : 'B') : null,
          d > 4 ? 'm1' : 'm2',
          'engine',
          k % 2 === 0 ? ['a', 'b', 'c'] : ['d', 'e', 'f', 'a'],
          at(d, hours).toISOString(),
        ]);
      }
    }
    // Shown late on day 2, bought (without recommId) early on day 1: an estimated conversion across midnight.
    lists.push([
      'late-2',
      'home',
      true,
      'u9',
      null,
      'A',
      'm2',
      'engine',
      ['e', 'f'],
      at(2, 23.5).toISOString(),
    ]);
    for (const l of lists)
      await db().query(
        `INSERT INTO served_lists (recomm_id, source, is_placement, user_id, session_id, variant, model_version,
                                   strategy, item_ids, served_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        l,
      );
    let seq = 0;
    const ev = (e: Record<string, unknown>) => ({ eventId: `ev-${seq++}`, ...e });
    const events: unknown[] = [];
    for (let d = 8; d >= 1; d--) {
      const u = users[d % 4];
      events.push(
        ev({
          userId: u,
          itemId: 'a',
          type: 'view',
          recommId: `L${d}-0`,
          timestamp: at(d, 1.5).toISOString(),
        }),
        ev({
          userId: u,
          itemId: 'b',
          type: 'view',
          recommId: `L${d}-0`,
          timestamp: at(d, 1.6).toISOString(),
        }),
        ev({
          userId: u,
          itemId: 'b',
          type: 'add_to_cart',
          recommId: `L${d}-0`,
          timestamp: at(d, 1.7).toISOString(),
        }),
        ev({
          userId: u,
          itemId: 'b',
          type: 'purchase',
          value: 3,
          recommId: `L${d}-0`,
          timestamp: at(d, 1.8).toISOString(),
        }),
        ev({
          userId: users[(d + 1) % 4],
          itemId: 'f',
          type: 'purchase',
          value: 2,
          recommId: `L${d}-1`,
          timestamp: at(d, 5).toISOString(),
        }),
        ev({
          userId: users[(d + 3) % 4],
          itemId: 'c',
          type: 'purchase',
          price: 0.3,
          value: 7,
          timestamp: at(d, 20).toISOString(),
        }),
      );
    }
    await post(events);
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('answers exactly like the raw rows before any rollup exists', async () => {
    expect(await count(`SELECT count(*) AS n FROM analytics_days`)).toBe(0);
    await expectEqualToOracle();
  });

  it('rolls up every closed day within retention, reads the rollups, and still answers like the raw rows', async () => {
    expect((await settle()).computed).toBe(10);
    // Retention 10 days: the days from 10 days ago to yesterday are closed and kept.
    expect(await count(`SELECT count(*) AS n FROM analytics_days`)).toBe(10);
    expect(await count(`SELECT count(*) AS n FROM analytics_stale`)).toBe(0);
    expect(
      await count(`SELECT sum(lists) AS n FROM analytics_daily WHERE day = $1::date`, [
        at(3, 0).toISOString().slice(0, 10),
      ]),
    ).toBe(6);
    await expectEqualToOracle();

    // The answer really comes from the rollup table: a tampered row shows through, until the day is touched.
    const day3 = at(3, 0).toISOString().slice(0, 10);
    await db().query(
      `UPDATE analytics_daily SET clicks = clicks + 1000
       WHERE id = (SELECT min(id) FROM analytics_daily WHERE day = $1::date)`,
      [day3],
    );
    const range = { from: at(6, 0), to: at(1, 0), groupBy: [] as string[] };
    const [tampered] = await api(range);
    const [truth] = await oracle(db(), range);
    expect(tampered.clicks).toBe(truth.clicks + 1000);
    // A rollup computed with another attribution window is not used.
    await db().query(`UPDATE analytics_days SET window_hours = 48 WHERE day = $1::date`, [day3]);
    expect((await api(range))[0].clicks).toBe(truth.clicks);
    expect((await settle())?.computed).toBe(1);
    await expectEqualToOracle();
  });

  it('counts late events on rolled-up days at once (a click, an estimated purchase across midnight)', async () => {
    const before = await api({ from: at(2, 0), to: at(1, 0), groupBy: [] });
    await post([
      ev2('late-click', { userId: 'u1', itemId: 'd', type: 'view', recommId: 'L2-1', timestamp: at(1, 2) }),
      ev2('late-buy', { userId: 'u9', itemId: 'f', type: 'purchase', value: 4, timestamp: at(1, 0.5) }),
    ]);
    const after = await api({ from: at(2, 0), to: at(1, 0), groupBy: [] });
    expect(after[0].clicks).toBe(before[0].clicks + 1);
    expect(after[0].purchases.estimated).toBe(before[0].purchases.estimated + 1);
    await expectEqualToOracle();
    await settle();
    expect(await count(`SELECT count(*) AS n FROM analytics_stale`)).toBe(0);
    await expectEqualToOracle();
    await expectRollupsRecomputable();
  });

  it("prices purchases without a price of their own at the item's current price, with no recomputation", async () => {
    const range = { from: at(9, 0), to: at(0, 0), groupBy: [] as string[] };
    const before = (await api(range))[0].revenue.reported;
    expect(
      (
        await request(t.server)
          .put('/v1/items')
          .send({ items: [{ id: 'f', title: 'Lamp f', price: 4 }] })
      ).status,
    ).toBe(200);
    expect(await count(`SELECT count(*) AS n FROM analytics_stale`)).toBe(0);
    // Eight reported purchases of two f each (days 8..1), now 4 apiece.
    expect((await api(range))[0].revenue.reported).toBe(before + 8 * 2 * 4);
    await expectEqualToOracle();
  });

  it('erasing a user removes their lists and their share of the rollups', async () => {
    expect(await count(`SELECT count(*) AS n FROM served_lists WHERE user_id = 'u2'`)).toBeGreaterThan(0);
    expect((await request(t.server).delete('/v1/users/u2')).status).toBe(204);
    expect(await count(`SELECT count(*) AS n FROM served_lists WHERE user_id = 'u2'`)).toBe(0);
    await expectEqualToOracle();
    await settle();
    expect(await count(`SELECT count(*) AS n FROM analytics_stale`)).toBe(0);
    // Every rolled-up list is one that still exists.
    expect(await count(`SELECT sum(lists) AS n FROM analytics_daily`)).toBe(
      await count(
        `SELECT count(*) AS n FROM served_lists s JOIN analytics_days a ON a.day = (s.served_at AT TIME ZONE 'UTC')::date`,
      ),
    );
    await expectEqualToOracle();
    await expectRollupsRecomputable();
  });

  it('retention: deleted lists leave the rollups, and days past retention are dropped', async () => {
    // The erasure above asked for a pass a second later (refreshSoon): let it run before this test marks days,
    // or it would do (and count) this test's recomputation itself.
    await new Promise((r) => setTimeout(r, 1500));
    await settle();
    // Served-list retention run as if it were three days later: day 8's lists (older than seven days) go,
    // the four of them left after u2's erasure.
    const deleted = await t.app.get(ServedListRecorder).enforceRetention(new Date(midnight + 3 * DAY));
    expect(deleted).toBe(4);
    await expectEqualToOracle();
    // A rollup of a day long past retention (as left by a server that was down) is dropped by the next pass.
    const old = at(20, 0).toISOString().slice(0, 10);
    await db().query(`INSERT INTO analytics_days (day, window_hours, computed_at) VALUES ($1, 24, now())`, [
      old,
    ]);
    await db().query(
      `INSERT INTO analytics_daily (day, source, lists, items_shown, clicks, carts, purchases, revenue, est_purchases, est_revenue)
       VALUES ($1, 'home', 5, 5, 0, 0, 0, 0, 0, 0)`,
      [old],
    );
    const pass = await settle();
    expect(pass.recomputed).toBe(1);
    expect(pass.expired).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM analytics_daily WHERE day = $1::date`, [old])).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM analytics_days WHERE day = $1::date`, [old])).toBe(0);
    expect(await count(`SELECT sum(lists) AS n FROM analytics_daily`)).toBe(
      await count(
        `SELECT count(*) AS n FROM served_lists s JOIN analytics_days a ON a.day = (s.served_at AT TIME ZONE 'UTC')::date`,
      ),
    );
    await expectEqualToOracle();
    await expectRollupsRecomputable();
  });

  it('stores item id lists exactly, whatever the ids look like', async () => {
    const ids = ['NULL', 'a/b', 'x:y@z', 'q.r-s_t', ''.padEnd(128, 'Z')];
    await t.app.get(ServedListsRepository).insert([
      {
        recommId: 'odd-ids',
        source: 'popular',
        isPlacement: false,
        userId: null,
        sessionId: null,
        variant: null,
        experimentId: null,
        itemTeams: null,
        modelVersion: null,
        strategy: 'popular',
        itemIds: ids,
        servedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
      },
      {
        recommId: 'no-ids',
        source: 'popular',
        isPlacement: false,
        userId: null,
        sessionId: null,
        variant: null,
        experimentId: null,
        itemTeams: null,
        modelVersion: null,
        strategy: 'popular',
        itemIds: [],
        servedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 679),
      },
    ]);
    const rows: Array<{ recomm_id: string; item_ids: string[]; served_at: Date }> = await db().query(
      `SELECT recomm_id, item_ids, served_at FROM served_lists WHERE recomm_id IN ('odd-ids', 'no-ids') ORDER BY 1`,
    );
    expect(rows.map((r) => [r.recomm_id, r.item_ids, r.served_at.toISOString()])).toEqual([
      ['no-ids', [], '2026-01-02T03:04:05.679Z'],
      ['odd-ids', ids, '2026-01-02T03:04:05.678Z'],
    ]);
  });
});

function ev2(eventId: string, e: Record<string, unknown> & { timestamp: Date }) {
  return { eventId, ...e, timestamp: e.timestamp.toISOString() };
}
