import * as path from 'node:path';
import request from 'supertest';
import { EventsRepository } from '../src/events/events.repository';
import { ImportService } from '../src/import/import.service';
import { startTestApp, type TestApp } from './support/app';
import { ProfileService } from '../src/recommendations/profile.service';
import { RecommendationWarmer } from '../src/recommendations/recommendation-warmer';
import { RecommendationsService } from '../src/recommendations/recommendations.service';
import { userQuerySchema } from '../src/recommendations/dto/options.schema';
import { IndexService } from '../src/vector-index/index.service';

/** What a request without query parameters asks for. */
const DEFAULTS = userQuerySchema.parse({});

const SLICE = path.join(__dirname, 'fixtures', 'online-retail-slice.csv');

async function waitForJob(t: TestApp, jobId: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 600; i++) {
    const res = await request(t.server).get(`/v1/admin/jobs/${jobId}`);
    if (res.body.status === 'succeeded' || res.body.status === 'failed')
      return res.body as Record<string, unknown>;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('job did not finish');
}

/** Recommendations over a real slice of Online Retail, with the real encoder, index and PostgreSQL. */
describe('recommendations API', () => {
  let t: TestApp;
  const titles = new Map<string, string>();

  beforeAll(async () => {
    t = await startTestApp({ REINDEX_DEBOUNCE_MS: '0', JOBS_POLL_MS: '100', STATS_REFRESH_MS: '0' });
    await t.app.get(ImportService).onlineRetail(SLICE);
    const job = await request(t.server).post('/v1/admin/reindex').send({ full: true });
    expect(job.status).toBe(202);
    const done = await waitForJob(t, job.body.jobId as string);
    expect(done).toMatchObject({ status: 'succeeded', kind: 'reindex' });
    expect((done.progress as { done: number; total: number }).done).toBe(
      (done.progress as { total: number }).total,
    );
    const res = await request(t.server).get('/v1/admin/stats');
    expect(res.body.items).toBeGreaterThan(900);
    // Imported purchases reach the popularity model through a short debounced refresh.
    for (
      let i = 0;
      i < 100 && (await request(t.server).get('/v1/popular?limit=1')).body.items.length === 0;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 300_000);

  afterAll(async () => {
    await t.close();
  });

  const title = async (id: string) => {
    if (!titles.has(id))
      titles.set(id, (await request(t.server).get(`/v1/items/${id}`)).body.title as string);
    return titles.get(id)!;
  };

  it('answers a semantic text query with on-topic items', async () => {
    const res = await request(t.server)
      .post('/v1/recommendations')
      .send({ text: 'christmas decoration', limit: 5, explain: true });
    expect(res.status).toBe(200);
    expect(res.body.strategy).toBe('semantic-search');
    const names = await Promise.all((res.body.items as Array<{ id: string }>).map((i) => title(i.id)));
    expect(
      names.filter((n) => /CHRISTMAS|XMAS|REINDEER|SANTA|ADVENT|TREE|BAUBLE|STAR/.test(n)).length,
    ).toBeGreaterThanOrEqual(3);
    const lunch = await request(t.server).post('/v1/recommendations').send({ text: 'lunch bag', limit: 5 });
    const lunchNames = await Promise.all((lunch.body.items as Array<{ id: string }>).map((i) => title(i.id)));
    expect(lunchNames.filter((n) => /LUNCH|BAG/.test(n)).length).toBeGreaterThanOrEqual(3);
  });

  it('finds siblings as similar items, never the item itself, and honours filters', async () => {
    const res = await request(t.server).get('/v1/items/20725/similar?limit=5&includeItems=true&explain=true');
    expect(res.status).toBe(200);
    const ids = (res.body.items as Array<{ id: string }>).map((i) => i.id);
    expect(ids).not.toContain('20725');
    expect(ids).toHaveLength(5);
    const names = (res.body.items as Array<{ item: { title: string } }>).map((i) => i.item.title);
    expect(names.some((n) => n.startsWith('LUNCH BAG'))).toBe(true);
    // The reason names the source that weighed most: the text, co-purchase, or what was bought next.
    expect(res.body.items[0].reason.itemIds).toEqual(['20725']);
    expect(['similar-to', 'co-purchased-with', 'bought-after']).toContain(res.body.items[0].reason.type);

    const excluded = await request(t.server).get(`/v1/items/20725/similar?limit=5&exclude=${ids.join(',')}`);
    const again = (excluded.body.items as Array<{ id: string }>).map((i) => i.id);
    expect(again).toHaveLength(5);
    expect(again.filter((id) => ids.includes(id))).toEqual([]);

    const priced = await request(t.server).get(
      '/v1/items/20725/similar?limit=10&minPrice=2&maxPrice=3&includeItems=true',
    );
    for (const i of priced.body.items as Array<{ item: { price: number } }>) {
      expect(i.item.price).toBeGreaterThanOrEqual(2);
      expect(i.item.price).toBeLessThanOrEqual(3);
    }
    expect((await request(t.server).get('/v1/items/nope/similar')).status).toBe(404);
  });

  it('drops deleted and out-of-stock items from the very next request', async () => {
    const before = await request(t.server).get('/v1/items/20725/similar?limit=3');
    const [first, second] = (before.body.items as Array<{ id: string }>).map((i) => i.id);
    expect((await request(t.server).delete(`/v1/items/${first}`)).status).toBe(204);
    expect((await request(t.server).patch(`/v1/items/${second}`).send({ inStock: false })).status).toBe(200);
    const after = await request(t.server).get('/v1/items/20725/similar?limit=10');
    const ids = (after.body.items as Array<{ id: string }>).map((i) => i.id);
    expect(ids).not.toContain(first);
    expect(ids).not.toContain(second);
    const withOut = await request(t.server).get('/v1/items/20725/similar?limit=10&inStockOnly=false');
    expect((withOut.body.items as Array<{ id: string }>).map((i) => i.id)).toContain(second);
  });

  it('serves similar lists from the ranking held per item, yet drops a deleted or out-of-stock item at once', async () => {
    // One warmer pass ranks and holds every indexed item's similar list (whoever ran a pass before).
    await t.app.get(RecommendationWarmer).pass();
    const search = jest.spyOn(t.app.get(IndexService), 'search');
    try {
      const url = '/v1/items/22383/similar?limit=5&explain=true';
      const ids = (res: request.Response) => (res.body.items as Array<{ id: string }>).map((i) => i.id);
      const first = await request(t.server).get(url);
      expect(first.status).toBe(200);
      expect(first.body.strategy).toMatch(/^similar:/);
      const before = ids(first);
      expect(before).toHaveLength(5);
      expect(before).not.toContain('22383');
      expect((await request(t.server).delete(`/v1/items/${before[0]}`)).status).toBe(204);
      expect((await request(t.server).patch(`/v1/items/${before[1]}`).send({ inStock: false })).status).toBe(
        200,
      );
      const after = ids(await request(t.server).get(url));
      expect(after).toHaveLength(5);
      expect(after).not.toContain(before[0]);
      expect(after).not.toContain(before[1]);
      // The rest of the held ranking moves up, in its order.
      expect(after.slice(0, 3)).toEqual(before.slice(2));
      const withOut = ids(await request(t.server).get(`${url}&inStockOnly=false`));
      expect(withOut).toContain(before[1]);
      expect(withOut).not.toContain(before[0]);
      // No neighbour search ran for any of these requests: each was read from the held ranking.
      expect(search).not.toHaveBeenCalled();
    } finally {
      search.mockRestore();
    }
  });

  it('personalises for a known user and falls back to popular for a stranger', async () => {
    const hist = await request(t.server).get('/v1/users/17850/events?limit=100');
    expect(hist.body.events.length).toBeGreaterThan(0);
    const res = await request(t.server).get('/v1/users/17850/recommendations?limit=10&explain=true');
    expect(res.status).toBe(200);
    expect(res.body.strategy).toBe('personalized');
    expect(res.body.items).toHaveLength(10);
    const bought = new Set((hist.body.events as Array<{ itemId: string }>).map((e) => e.itemId));
    const discovery = await request(t.server).get(
      '/v1/users/17850/recommendations?limit=10&excludePurchased=true',
    );
    for (const i of discovery.body.items as Array<{ id: string }>) expect(bought.has(i.id)).toBe(false);

    const stranger = await request(t.server).get('/v1/users/nobody-here/recommendations?limit=5');
    expect(stranger.body.strategy).toBe('popular-fallback');
    expect(stranger.body.items).toHaveLength(5);
    const popular = await request(t.server).get('/v1/popular?limit=5');
    const ids = (body: { items: Array<{ id: string }> }) => body.items.map((i) => i.id);
    expect(ids(popular.body as { items: Array<{ id: string }> })).toEqual(
      ids(stranger.body as { items: Array<{ id: string }> }),
    );
  });

  it('shows each item once in a discovery list a filter leaves short of its limit', async () => {
    // Few of the slice's products cost £30 or more: fewer candidates pass than the 20 places asked for, and
    // the new-arrival place of a discovery list once repeated the first of them.
    const res = await request(t.server).get(
      '/v1/users/17850/recommendations?limit=20&minPrice=30&includeItems=true&excludePurchased=true',
    );
    expect(res.status).toBe(200);
    const items = res.body.items as Array<{ id: string; item: { price: number } }>;
    expect(items.length).toBeGreaterThan(0);
    expect(items.length).toBeLessThan(20);
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
    for (const i of items) expect(i.item.price).toBeGreaterThanOrEqual(30);
  });

  it('recommends for an anonymous session without echoing its items', async () => {
    const res = await request(t.server)
      .post('/v1/recommendations')
      .send({ itemIds: ['20725', '22383'], limit: 5, explain: true });
    expect(res.status).toBe(200);
    // The sources its items came from follow the kind (session-lists.e2e-spec checks them).
    expect(res.body.strategy).toMatch(/^session:[a-z+-]+$/);
    const ids = (res.body.items as Array<{ id: string }>).map((i) => i.id);
    expect(ids).toHaveLength(5);
    expect(ids).not.toContain('20725');
    expect(ids).not.toContain('22383');
    expect(['20725', '22383']).toContain(res.body.items[0].reason.itemIds[0]);
    const bad = await request(t.server).post('/v1/recommendations').send({});
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('itemIds');
  });

  it('refuses a price range whose maxPrice is below its minPrice on every list, naming maxPrice', async () => {
    const answers = [
      await request(t.server)
        .post('/v1/recommendations')
        .send({ itemIds: ['20725'], minPrice: 10, maxPrice: 1 }),
      await request(t.server).get('/v1/items/20725/similar?minPrice=10&maxPrice=1'),
      await request(t.server).get('/v1/popular?minPrice=10&maxPrice=1&days=30'),
      await request(t.server).get('/v1/users/some-user/recommendations?minPrice=10&maxPrice=1'),
    ];
    for (const res of answers) {
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors).toEqual([{ path: 'maxPrice', message: 'must be ≥ minPrice' }]);
    }
    // Equal bounds are a range of one price.
    const one = await request(t.server)
      .post('/v1/recommendations')
      .send({ itemIds: ['20725'], minPrice: 2.5, maxPrice: 2.5 });
    expect(one.status).toBe(200);
  });

  it('fills a session the shop knows nothing of with popular items, never its own items, under its filters', async () => {
    const ids = (body: { items: Array<{ id: string }> }) => body.items.map((i) => i.id);
    const popular = ids((await request(t.server).get('/v1/popular?limit=6')).body);
    const unknown = await request(t.server)
      .post('/v1/recommendations')
      .send({ itemIds: ['no-such-item', 'nor-this-one'], limit: 5 });
    expect(unknown.status).toBe(200);
    expect(unknown.body.strategy).toBe('popular-fallback');
    expect(ids(unknown.body)).toEqual(popular.slice(0, 5));

    // The most popular item deleted from the catalog meanwhile: a session of it alone shows the others.
    await request(t.server).delete(`/v1/items/${popular[0]}`).expect(204);
    const gone = await request(t.server)
      .post('/v1/recommendations')
      .send({ itemIds: [popular[0]], limit: 5 });
    expect(gone.body.strategy).toBe('popular-fallback');
    expect(ids(gone.body)).toEqual(popular.slice(1, 6));

    const filtered = await request(t.server)
      .post('/v1/recommendations')
      .send({ itemIds: ['no-such-item'], limit: 5, category: 'no/such/category' });
    expect(filtered.body.items).toEqual([]);

    // A text query alone is not padded with popular items.
    const semantic = await request(t.server).post('/v1/recommendations').send({ text: 'zzzz', limit: 5 });
    expect(semantic.body.strategy).toBe('semantic-search');
  });

  it('serves a repeated request from the list cache, yet shows a new purchase and a stock change at once', async () => {
    const url = '/v1/users/17850/recommendations?limit=10&excludePurchased=true';
    const first = await request(t.server).get(url);
    expect(first.status).toBe(200);
    // Computing a list starts by reading the profile: a list served from the cache reads none.
    const profiles = jest.spyOn(t.app.get(ProfileService), 'profile');
    const again = await request(t.server).get(url);
    // The same list, served again: each serving is its own recommId (attribution), the rest is identical.
    const { recommId: firstId, ...firstList } = first.body as { recommId: string };
    const { recommId: againId, ...againList } = again.body as { recommId: string };
    expect(againList).toEqual(firstList);
    expect(againId).not.toBe(firstId);
    expect(profiles.mock.calls.filter(([userId]) => userId === '17850')).toHaveLength(0);
    profiles.mockRestore();
    const ids = (first.body.items as Array<{ id: string }>).map((i) => i.id);
    expect(ids).toHaveLength(10);

    // Buying a listed item: excludePurchased must drop it from the very next answer.
    const ingest = await request(t.server)
      .post('/v1/events')
      .send({ events: [{ userId: '17850', itemId: ids[0], type: 'purchase' }] });
    expect(ingest.status).toBe(202);
    const afterPurchase = await request(t.server).get(url);
    const afterIds = (afterPurchase.body.items as Array<{ id: string }>).map((i) => i.id);
    expect(afterIds).toHaveLength(10);
    expect(afterIds).not.toContain(ids[0]);

    // Another listed item goes out of stock: the cached list is not served with it.
    expect((await request(t.server).patch(`/v1/items/${afterIds[0]}`).send({ inStock: false })).status).toBe(
      200,
    );
    const afterStock = await request(t.server).get(url);
    const stockIds = (afterStock.body.items as Array<{ id: string }>).map((i) => i.id);
    expect(stockIds).toHaveLength(10);
    expect(stockIds).not.toContain(afterIds[0]);

    // includeItems on a cached list still embeds the records.
    const withItems = await request(t.server).get(`${url}&includeItems=true`);
    const again2 = await request(t.server).get(`${url}&includeItems=true`);
    const { recommId: withItemsId, ...withItemsList } = withItems.body as { recommId: string };
    const { recommId: again2Id, ...again2List } = again2.body as { recommId: string };
    expect(again2List).toEqual(withItemsList);
    expect(again2Id).not.toBe(withItemsId);
    for (const i of again2.body.items as Array<{ id: string; item: { id: string } }>)
      expect(i.item.id).toBe(i.id);
  });

  it('warms the default list of recently active users ahead of requests, and only what went stale', async () => {
    const warmer = t.app.get(RecommendationWarmer);
    const users = Number((await request(t.server).get('/v1/admin/stats')).body.users);
    expect(users).toBeGreaterThan(10);
    const recs = t.app.get(RecommendationsService);
    const defaults = { ...DEFAULTS };
    const active = await t.app.get(EventsRepository).recentlyActiveUsers(users);
    expect(active).toHaveLength(users);
    // The server warms on its own once an index exists (it may have done so already while the tests above
    // ran); after one pass, whoever ran it, every recently active user's default list is cached and fresh.
    const first = await warmer.pass();
    expect(first.users).toBe(users);
    expect(active.filter((u) => !recs.listIsFresh(u, defaults))).toEqual([]);
    expect(recs.listIsFresh('17850', defaults)).toBe(true);
    expect((await warmer.pass()).warmed).toBe(0);

    // A new event makes that user's list stale; the next pass recomputes exactly that one.
    const ingest = await request(t.server)
      .post('/v1/events')
      .send({ events: [{ userId: '17850', itemId: '20725', type: 'view' }] });
    expect(ingest.status).toBe(202);
    expect(recs.listIsFresh('17850', defaults)).toBe(false);
    expect((await warmer.pass()).warmed).toBe(1);
    const stats = (await request(t.server).get('/v1/admin/stats')).body as { listCache: { warmed: number } };
    expect(stats.listCache.warmed).toBe(1);
  });
});
