import request from 'supertest';
import { DataSource } from 'typeorm';
import { ServedListRecorder } from '../src/attribution/served-list.recorder';
import { PurchaseSignalsService } from '../src/recommendations/purchase-signals.service';
import { startTestApp, type TestApp } from './support/app';

interface ServedRow {
  recomm_id: string;
  source: string;
  is_placement: boolean;
  user_id: string | null;
  session_id: string | null;
  variant: string | null;
  model_version: string | null;
  strategy: string;
  item_ids: string[];
}

/** The item ids of a list response, in order. */
const ids = (body: unknown): string[] => (body as { items: Array<{ id: string }> }).items.map((i) => i.id);

/** A UUIDv7 (RFC 9562): the millisecond first, so that lists' rows are written in time order. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Every list endpoint answers with a recommId and the list is recorded, off the request path. */
describe('served lists (real PostgreSQL)', () => {
  let t: TestApp;
  const db = () => t.app.get(DataSource);
  const row = async (recommId: string): Promise<ServedRow | undefined> => {
    const rows: ServedRow[] = await t.app
      .get(ServedListRecorder)
      .flush()
      .then(() =>
        db().query(
          `SELECT recomm_id, source, is_placement, user_id, session_id, variant, model_version, strategy, item_ids
           FROM served_lists WHERE recomm_id = $1`,
          [recommId],
        ),
      );
    return rows[0];
  };

  beforeAll(async () => {
    t = await startTestApp({ STATS_REFRESH_MS: '0', REINDEX_DEBOUNCE_MS: '0', JOBS_POLL_MS: '100' });
    const items = ['a', 'b', 'c', 'd'].map((id, i) => ({ id, title: `Lamp ${id}`, price: 10 + i }));
    expect((await request(t.server).put('/v1/items').send({ items })).status).toBe(200);
    const events = [
      { userId: 'u1', itemId: 'a', type: 'purchase' },
      { userId: 'u2', itemId: 'a', type: 'purchase' },
      { userId: 'u2', itemId: 'b', type: 'purchase' },
      { userId: 'u3', itemId: 'c', type: 'view' },
    ];
    expect((await request(t.server).post('/v1/events').send({ events })).status).toBe(202);
    await t.app.get(PurchaseSignalsService).refresh();
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('records each endpoint list with its items in order, under a fresh recommId per response', async () => {
    const popular = await request(t.server).get('/v1/popular?limit=5');
    const again = await request(t.server).get('/v1/popular?limit=5');
    const forUser = await request(t.server).get('/v1/users/u1/recommendations');
    const session = await request(t.server)
      .post('/v1/recommendations')
      .send({ itemIds: ['a'], sessionId: 's-9', userId: 'u3' });
    const similar = await request(t.server).get('/v1/items/a/similar');
    for (const r of [popular, again, forUser, session, similar]) {
      expect(r.status).toBe(200);
      expect(r.body.recommId).toMatch(UUID);
    }
    expect(ids(popular.body)).toEqual(['a', 'b']);
    expect(again.body.recommId).not.toBe(popular.body.recommId);
    // Each later list's id sorts after the one before (the primary key's right edge), and its first 48 bits are
    // the millisecond it was served.
    const served = [popular, again, forUser, session, similar].map((r) => r.body.recommId as string);
    expect([...served].sort()).toEqual(served);
    const ms = parseInt(served[4].replace(/-/g, '').slice(0, 12), 16);
    expect(Math.abs(ms - Date.now())).toBeLessThan(60_000);

    expect(await row(popular.body.recommId)).toEqual({
      recomm_id: popular.body.recommId,
      source: 'popular',
      is_placement: false,
      user_id: null,
      session_id: null,
      variant: null,
      model_version: popular.body.modelVersion,
      strategy: popular.body.strategy,
      item_ids: ['a', 'b'],
    });
    expect(await row(forUser.body.recommId)).toMatchObject({
      source: 'user',
      user_id: 'u1',
      item_ids: ids(forUser.body),
    });
    expect(await row(session.body.recommId)).toMatchObject({
      source: 'session',
      user_id: 'u3',
      session_id: 's-9',
      item_ids: ids(session.body),
    });
    expect(await row(similar.body.recommId)).toMatchObject({ source: 'similar', user_id: null });
  });

  it('records placement lists under the placement id', async () => {
    expect(
      (await request(t.server).put('/v1/admin/placements/home-trend').send({ kind: 'trending' })).status,
    ).toBe(200);
    const res = await request(t.server).get(
      '/v1/placements/home-trend/recommendations?userId=u2&sessionId=s-2',
    );
    expect(res.status).toBe(200);
    expect(res.body.recommId).toMatch(UUID);
    expect(res.body.placement).toBe('home-trend');
    expect(await row(res.body.recommId)).toMatchObject({
      source: 'home-trend',
      is_placement: true,
      user_id: 'u2',
      session_id: 's-2',
      item_ids: ids(res.body),
    });
  });

  it('counts lists served per source in /metrics', async () => {
    const metrics = await request(t.server).get('/metrics');
    expect(metrics.text).toMatch(/aisle_served_lists_total\{source="home-trend"\} 1\b/);
    expect(metrics.text).toMatch(/aisle_served_lists_total\{source="popular"\} [2-9]/);
  });

  it('erasing a user erases their served lists, including ones still queued', async () => {
    const written = await request(t.server).get('/v1/users/u2/recommendations');
    await t.app.get(ServedListRecorder).flush();
    const queued = await request(t.server).get('/v1/users/u2/recommendations');
    const other = await request(t.server).get('/v1/users/u1/recommendations');
    expect((await request(t.server).delete('/v1/users/u2')).status).toBe(204);
    expect(await row(written.body.recommId)).toBeUndefined();
    expect(await row(queued.body.recommId)).toBeUndefined();
    const left: Array<{ n: string }> = await db().query(
      `SELECT count(*)::bigint AS n FROM served_lists WHERE user_id = 'u2'`,
    );
    expect(Number(left[0].n)).toBe(0);
    expect(await row(other.body.recommId)).toMatchObject({ user_id: 'u1' });
  });

  it('retention deletes exactly the lists older than SERVED_LISTS_RETENTION_DAYS (90)', async () => {
    const now = new Date('2026-06-01T00:00:00Z');
    const at = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();
    await db().query(
      `INSERT INTO served_lists (recomm_id, source, strategy, item_ids, served_at)
       VALUES ('old-1', 'popular', 'popular', '{a}', $1), ('young-1', 'popular', 'popular', '{a}', $2)`,
      [at(90.01), at(89.99)],
    );
    expect(await t.app.get(ServedListRecorder).enforceRetention(now)).toBeGreaterThanOrEqual(1);
    const ids: Array<{ recomm_id: string }> = await db().query(
      `SELECT recomm_id FROM served_lists WHERE recomm_id IN ('old-1', 'young-1')`,
    );
    expect(ids.map((r) => r.recomm_id)).toEqual(['young-1']);
  });

  it('attributes clicks, conversions and revenue exactly as sent: reported, estimated, duplicates, unknown ids', async () => {
    expect(
      (await request(t.server).put('/v1/admin/placements/attr-p').send({ kind: 'trending' })).status,
    ).toBe(200);
    const l1 = (await request(t.server).get('/v1/placements/attr-p/recommendations?userId=w1')).body as {
      recommId: string;
    };
    const l2 = (await request(t.server).get('/v1/placements/attr-p/recommendations?sessionId=sx')).body as {
      recommId: string;
    };
    // Preconditions of the hand-computed figures below: what the two lists show.
    expect(ids(l1)).toContain('a');
    expect(ids(l2)).toContain('a');
    expect(ids(l1)).not.toContain('d');
    // A list shown 30 hours ago: outside the 24-hour window, so its later purchase is not estimated.
    await db().query(
      `INSERT INTO served_lists (recomm_id, source, is_placement, user_id, strategy, item_ids, served_at)
       VALUES ('stale-1', 'attr-p', true, 'w2', 'trending', '{a,b}', now() - interval '30 hours')`,
    );
    const ev = (eventId: string, e: Record<string, unknown>) => ({ eventId, ...e });
    const events = [
      ev('e1', { userId: 'w1', itemId: 'a', type: 'view', recommId: l1.recommId, position: 1 }),
      ev('e1', { userId: 'w1', itemId: 'a', type: 'view', recommId: l1.recommId, position: 1 }),
      ev('e3', { userId: 'anon-sx', sessionId: 'sx', itemId: 'a', type: 'view', recommId: l2.recommId }),
      ev('e4', { userId: 'w1', itemId: 'a', type: 'add_to_cart', recommId: l1.recommId }),
      ev('e5', { userId: 'w1', itemId: 'a', type: 'purchase', value: 2, price: 7.5, recommId: l1.recommId }),
      ev('e6', { userId: 'anon-sx', sessionId: 'sx', itemId: 'a', type: 'purchase', recommId: l2.recommId }),
      ev('e7', { userId: 'w1', itemId: 'a', type: 'view', recommId: 'never-served' }),
      ev('e8', { userId: 'w1', itemId: 'a', type: 'purchase' }),
      ev('e9', { userId: 'other', sessionId: 'sx', itemId: 'a', type: 'purchase' }),
      ev('e10', { userId: 'w1', itemId: 'd', type: 'purchase' }),
      ev('e11', { userId: 'w2', itemId: 'a', type: 'purchase' }),
    ];
    const posted = await request(t.server).post('/v1/events').send({ events });
    expect(posted.status).toBe(202);
    expect(posted.body).toEqual({ accepted: 10, duplicates: 1, unknownRecommIds: 1 });
    // Sending the same batch again changes nothing: every eventId is already stored.
    const again = await request(t.server).post('/v1/events').send({ events });
    expect(again.body).toEqual({ accepted: 0, duplicates: 11, unknownRecommIds: 1 });

    const from = new Date(Date.now() - 2 * 86_400_000).toISOString();
    const res = await request(t.server).get(
      `/v1/admin/analytics?placement=attr-p&groupBy=placement&from=${encodeURIComponent(from)}`,
    );
    expect(res.status).toBe(200);
    const lists = 3;
    expect(res.body).toEqual({
      rows: [
        {
          placement: 'attr-p',
          lists,
          itemsShown: ids(l1).length + ids(l2).length + 2,
          clicks: 2,
          ctr: 2 / 3,
          addToCarts: { reported: 1, estimated: 0 },
          purchases: { reported: 2, estimated: 2 },
          conversionRate: { reported: 2 / 3, estimated: 2 / 3 },
          // e5: 2 × 7.5 (its own price); e6: 1 × 10 (item a's price). Estimated e8 and e9: 10 each.
          revenue: { reported: 25, estimated: 20 },
          revenuePerThousandLists: { reported: (25 / 3) * 1000, estimated: (20 / 3) * 1000 },
        },
      ],
    });
  });

  it('rejects a bad analytics query naming the field', async () => {
    const res = await request(t.server).get('/v1/admin/analytics?groupBy=day,colour');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(JSON.stringify(res.body.errors)).toMatch(/groupBy/);
    // A date that is neither form is named with both forms it may take, not zod's bare "Invalid input".
    const date = await request(t.server).get('/v1/admin/analytics?from=2026-13-01');
    expect(date.status).toBe(400);
    expect(date.body.errors).toEqual([
      { path: 'from', message: expect.stringMatching(/ISO-8601 date .*date-time/) },
    ]);
    const order = await request(t.server).get('/v1/admin/analytics?from=2026-05-02&to=2026-05-01T00:00:00Z');
    expect(order.body.errors).toEqual([{ path: 'to', message: 'must be after from' }]);
    for (const ok of ['from=2026-05-01', 'from=2026-05-01T00:00:00%2B02:00', 'to=2026-05-01T00:00:00Z'])
      expect((await request(t.server).get(`/v1/admin/analytics?${ok}`)).status).toBe(200);
  });
});
