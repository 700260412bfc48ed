import request from 'supertest';
import { PurchaseSignalsService } from '../src/recommendations/purchase-signals.service';
import { startTestApp, type TestApp } from './support/app';

/**
 * A shop's history sent to a new server years after it ended (a replayed history, a shop closed for the season):
 * trending and `GET /v1/popular?days=` count the history's own last days rather than the empty days before the
 * clock, through the API on a real database; and once the shop sells again, they count the days before now.
 */
const ITEMS = ['late', 'also-late', 'early', 'today'].map((id) => ({ id, title: `Product ${id}` }));
const bought = (userId: string, itemId: string, timestamp: string) => ({
  userId,
  itemId,
  type: 'purchase',
  timestamp,
});
// Sold in the history's last month: `late` to two buyers, `also-late` to one; `early` to three, months before.
const HISTORY = [
  bought('u1', 'late', '2011-12-01T10:00:00Z'),
  bought('u2', 'late', '2011-12-09T12:00:00Z'),
  bought('u3', 'also-late', '2011-11-15T09:00:00Z'),
  bought('u4', 'early', '2011-06-01T09:00:00Z'),
  bought('u5', 'early', '2011-06-02T09:00:00Z'),
  bought('u6', 'early', '2011-06-03T09:00:00Z'),
];

type List = { items: Array<{ id: string }>; strategy: string };
const ids = (l: List) => l.items.map((i) => i.id);

describe("trending follows the shop's clock (API and PostgreSQL)", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ STATS_REFRESH_MS: '0' });
    expect((await request(t.server).put('/v1/items').send({ items: ITEMS })).status).toBe(200);
    expect((await request(t.server).post('/v1/events').send({ events: HISTORY })).status).toBe(202);
    await t.app.get(PurchaseSignalsService).refresh();
    expect(
      (await request(t.server).put('/v1/admin/placements/home-trending').send({ kind: 'trending' })).status,
    ).toBe(200);
  });

  afterAll(async () => {
    await t.close();
  });

  const popular = async (days: number) =>
    (await request(t.server).get(`/v1/popular?days=${days}&limit=10`).expect(200)).body as List;
  const trending = async () =>
    (await request(t.server).get('/v1/placements/home-trending/recommendations?limit=3').expect(200))
      .body as List;

  it("counts an old history's own last 30 days: what sold then, most buyers first", async () => {
    const stats = await request(t.server).get('/v1/admin/stats').expect(200);
    expect(stats.body.shopClock).toEqual({ standsAt: '2011-12-09T12:00:00.001Z' });
    expect(ids(await popular(30))).toEqual(['late', 'also-late']);
    expect(ids(await popular(200))).toEqual(['early', 'late', 'also-late']);
    const list = await trending();
    expect(list.strategy).toBe('trending');
    // All-time sellers fill below the trending ones.
    expect(ids(list)).toEqual(['late', 'also-late', 'early']);
  });

  it('counts the days before the clock again once the shop sells', async () => {
    const now = new Date(Date.now() - 60_000).toISOString();
    const sold = await request(t.server)
      .post('/v1/events')
      .send({ events: [bought('u7', 'today', now)] });
    expect(sold.status).toBe(202);
    await t.app.get(PurchaseSignalsService).refresh();
    expect((await request(t.server).get('/v1/admin/stats').expect(200)).body.shopClock).toEqual({
      standsAt: null,
    });
    expect(ids(await popular(30))).toEqual(['today']);
    const list = await trending();
    expect(list.strategy).toBe('trending');
    expect(ids(list)[0]).toBe('today');
    expect(ids(list)).not.toContain('also-late');
  });
});
