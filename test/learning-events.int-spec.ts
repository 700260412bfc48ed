import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import {
  countLearnable,
  learnedTypeOf,
  resolveLearningTypes,
  type RowQuery,
} from '../src/events/learning-events';
import { ImportService } from '../src/import/import.service';
import { JobsService } from '../src/jobs/jobs.service';
import { loadOnlineRetail } from '../src/online-retail/online-retail.reader';
import type { OnlineRetailData } from '../src/online-retail/online-retail.types';
import { buildItemKnn, DEFAULT_BUYERS, DEFAULT_KNN_NEIGHBORS } from '../src/ranking/item-knn';
import { buildPurchaseMatrix } from '../src/ranking/purchase-matrix';
import { FINETUNE } from '../src/training/finetune.job';
import { listenApp, type RunningApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';
import { waitForJob } from './support/jobs';

/**
 * LEARN_FROM: a shop that sends only its clickstream (views) or only its reviews (ratings) learns its neighbours,
 * transitions, popularity and fine-tune from them. The Online Retail slice (one trading day) is stored as views,
 * and again as ratings: its co-occurrence is then exactly what its purchases would give, so the stored
 * neighbours can be checked against the definition computed from the file.
 */
const SLICE = path.join(__dirname, 'fixtures', 'online-retail-slice.csv');
/** After the slice's day: its morning trains, the validation window (1 day) holds the rest. */
const NOW = '2010-12-02T11:00:00.000Z';
const LUNCH_BAG = '20725'; // LUNCH BAG RED RETROSPOT, bought with other lunch bags by several customers
const ENV = {
  REINDEX_DEBOUNCE_MS: '0',
  JOBS_POLL_MS: '100',
  STATS_REFRESH_MS: '0',
  COPURCHASE_DEBOUNCE_MS: '0',
  FINETUNE_EPOCHS: '2',
  FINETUNE_DIM: '32',
  FINETUNE_VALIDATION_DAYS: '1',
};

/** What each type resolves to under `auto` when it is all a shop sends. */
const LEARNED: Record<'view' | 'rating', string[]> = {
  view: ['purchase', 'rating', 'add_to_cart', 'view'],
  rating: ['purchase', 'rating'],
};

describe('LEARN_FROM: what a shop learns from when it sends no purchases (real PostgreSQL)', () => {
  let db: TestDatabase;
  let pg: Client;
  let slice: OnlineRetailData;
  const query: RowQuery = async (sql, params) => (await pg.query<Record<string, unknown>>(sql, params)).rows;
  const resolve = (setting: 'auto' | 'purchase' | 'rating' | 'add_to_cart' | 'view', minShare = 0.1) =>
    resolveLearningTypes(query, setting, minShare);

  beforeAll(async () => {
    db = await createTestDatabase();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    slice = await loadOnlineRetail(SLICE);
  });

  afterAll(async () => {
    await pg?.end();
    await db?.drop();
  });

  it('auto takes the strongest type the shop has sent; a named type is taken as it is', async () => {
    await pg.query(`INSERT INTO items (id, title, content_hash) VALUES ('t-1', 'Lamp', repeat('0', 64))`);
    const add = (type: string) =>
      pg.query(
        `INSERT INTO events (user_id, item_id, type, value, occurred_at) VALUES ('u', 't-1', $1, $2, now())`,
        [type, type === 'rating' ? 4 : null],
      );
    expect(await resolve('auto')).toEqual(['purchase']); // nothing sent yet: nothing to learn either way
    await add('view');
    expect(await resolve('auto')).toEqual(['purchase', 'rating', 'add_to_cart', 'view']);
    await add('add_to_cart');
    expect(await resolve('auto')).toEqual(['purchase', 'rating', 'add_to_cart']);
    await add('rating');
    expect(await resolve('auto')).toEqual(['purchase', 'rating']);
    await add('purchase');
    expect(await resolve('auto')).toEqual(['purchase']);
    expect(await resolve('view')).toEqual(['purchase', 'rating', 'add_to_cart', 'view']);
    expect(await resolve('purchase')).toEqual(['purchase']);
    await pg.query(`DELETE FROM events`);
    await pg.query(`DELETE FROM items`);
  });

  it('auto weighs what the shop sends: a clickstream with a few orders learns from its views, counted exactly or on a sample', async () => {
    await pg.query(`INSERT INTO items (id, title, content_hash) VALUES ('t-1', 'Lamp', repeat('0', 64))`);
    // 9,800 views and 200 orders (every 50th event), then more orders until they are a quarter of the log.
    const addEvents = (from: number, to: number, orderEvery: number) =>
      pg.query(
        `INSERT INTO events (user_id, item_id, type, occurred_at)
         SELECT 'u' || (g % 97), 't-1', CASE WHEN g % $3 = 0 THEN 'purchase' ELSE 'view' END, now()
           FROM generate_series($1::int, $2::int) g`,
        [from, to, orderEvery],
      );
    await addEvents(1, 10_000, 50);
    expect(await countLearnable(query)).toEqual({ purchase: 200, rating: 0, add_to_cart: 0, view: 9_800 });
    expect(await resolve('auto')).toEqual(['purchase', 'rating', 'add_to_cart', 'view']);
    // With no share to weigh (LEARN_FROM_MIN_SHARE=0), the orders alone, as before.
    expect(await resolve('auto', 0)).toEqual(['purchase']);
    expect(await resolve('auto', 0.02)).toEqual(['purchase']);

    // A log bigger than the exact-count limit is counted on a block sample: the same blocks each time.
    const { rows } = await pg.query<{ bytes: number }>(`SELECT pg_relation_size('events')::float8 AS bytes`);
    const limit = Math.floor(rows[0].bytes / 4);
    const sampled = await countLearnable(query, limit);
    const total = sampled.purchase + sampled.view;
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(10_000);
    expect(sampled.purchase / total).toBeGreaterThan(0.01);
    expect(sampled.purchase / total).toBeLessThan(0.04);
    expect(await countLearnable(query, limit)).toEqual(sampled);
    expect(learnedTypeOf(sampled, 0.1)).toBe('view');

    // Orders catch up (every other event of the next 10,000): purchases alone again.
    await addEvents(10_001, 20_000, 2);
    expect(await resolve('auto')).toEqual(['purchase']);
    expect(learnedTypeOf(await countLearnable(query, limit), 0.1)).toBe('purchase');
    await pg.query(`DELETE FROM events`);
    await pg.query(`DELETE FROM items`);
  });

  // Each shop on a database of its own: what one learned must not be what the other is checked against.
  it.each(['view', 'rating'] as const)(
    'a shop that sends only %s events gets the neighbours its purchases would give, a gated fine-tune and co-purchase session lists',
    async (type) => {
      const own = await createTestDatabase();
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-learn-from-'));
      let running: RunningApp | undefined;
      const ownPg = new Client({ connectionString: own.url });
      await ownPg.connect();
      try {
        running = await listenApp(own.url, dataDir, ENV);
        await checkShop(running, ownPg, slice, type);
      } finally {
        await running?.app.close();
        await ownPg.end();
        await own.drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
    600_000,
  );

  it('views sent without a time are steps in the order sent, within their session; purchases at one instant stay one basket', async () => {
    const own = await createTestDatabase();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-learn-order-'));
    let running: RunningApp | undefined;
    const ownPg = new Client({ connectionString: own.url });
    await ownPg.connect();
    try {
      // LEARN_FROM=view: the views and the purchases are both learned from.
      running = await listenApp(own.url, dataDir, { ...ENV, LEARN_FROM: 'view' });
      const { url } = running;
      const titles = ['Garden hose', 'Tea towel', 'Desk lamp', 'Wool scarf', 'Cake tin'];
      const put = await request(url)
        .put('/v1/items')
        .send({ items: ['A', 'B', 'C', 'D', 'E'].map((id, i) => ({ id, title: titles[i] })) });
      expect(put.status).toBe(200);
      // Each shopper's whole visit in one batch, no times: every event of a batch gets the same "now".
      for (const u of ['u1', 'u2', 'u3']) {
        const views = ['A', 'B', 'C'].map((itemId) => ({ userId: u, itemId, type: 'view' }));
        const orders = ['D', 'E'].map((itemId) => ({ userId: `p-${u}`, itemId, type: 'purchase' }));
        expect(
          (
            await request(url)
              .post('/v1/events')
              .send({ events: [...views, ...orders] })
          ).status,
        ).toBe(202);
      }
      // Two visits each: A in one session, C in the next. A visit's last step does not lead into the next
      // visit, so this teaches nothing (chained, it would add A→C and take P(B | A) to 3/4).
      for (const u of ['v1', 'v2']) {
        const visits = [
          { userId: u, itemId: 'A', type: 'view', sessionId: `${u}-visit-1` },
          { userId: u, itemId: 'C', type: 'view', sessionId: `${u}-visit-2` },
        ];
        expect((await request(url).post('/v1/events').send({ events: visits })).status).toBe(202);
      }
      const queued = await request(url).post('/v1/admin/copurchase');
      expect(queued.status).toBe(202);
      const done = await waitForJob(url, queued.body.jobId as string);
      expect(done.status).toBe('succeeded');
      const rows = (
        await ownPg.query<{ item_id: string; next_id: string; probability: number }>(
          `SELECT item_id, next_id, probability FROM item_transitions ORDER BY item_id, next_id`,
        )
      ).rows;
      // A was always followed by B, and B by C; nothing follows C, and the order lines D, E are one basket.
      expect(rows.map((r) => [r.item_id, r.next_id, r.probability])).toEqual([
        ['A', 'B', 1],
        ['B', 'C', 1],
      ]);
    } finally {
      await running?.app.close();
      await ownPg.end();
      await own.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

/** The Online Retail slice sent as `type` events only, then the nightly job, then what the shop is served. */
async function checkShop(
  running: RunningApp,
  pg: Client,
  slice: OnlineRetailData,
  type: 'view' | 'rating',
): Promise<void> {
  const { app, url } = running;
  // The catalog as a feed import writes it; the events through the API, as a shop sends them (a review
  // of five stars for every line).
  await app.get(ImportService).storeOnlineRetail(slice.items, []);
  for (let i = 0; i < slice.purchases.length; i += 1000) {
    const events = slice.purchases.slice(i, i + 1000).map((p) => ({
      eventId: p.eventId,
      userId: p.userId,
      itemId: p.itemId,
      type,
      ...(type === 'rating' ? { value: 5 } : {}),
      timestamp: p.timestamp.toISOString(),
    }));
    const res = await request(url).post('/v1/events').send({ events });
    expect(res.status).toBe(202);
  }
  expect(
    (await pg.query<{ type: string }>(`SELECT DISTINCT type FROM events`)).rows.map((r) => r.type),
  ).toEqual([type]);

  // The nightly job: co-purchase rebuild, embedding, training and the gate, all from those events.
  const job = await app.get(JobsService).enqueue(FINETUNE, { now: NOW });
  const done = await waitForJob(url, job.id);
  expect({ status: done.status, error: done.error }).toEqual({ status: 'succeeded', error: undefined });
  const result = done.result as {
    copurchase: { learnedFrom: string[]; pairs: number };
    metrics: { validationCases: number; trainPairs: number };
  };
  expect(result.copurchase.learnedFrom).toEqual(LEARNED[type]);
  const stats = await request(url).get('/v1/admin/stats');
  expect(stats.body.learnsFrom).toEqual({ setting: 'auto', minShare: 0.1, types: LEARNED[type] });
  expect(result.metrics.trainPairs).toBeGreaterThan(0);
  expect(result.metrics.validationCases).toBeGreaterThan(0);

  // The stored neighbours are the item-kNN of the file's (user, item) pairs, computed here without the job (with
  // the default buyer damping the server runs with).
  const knn = buildItemKnn(buildPurchaseMatrix(slice.purchases), DEFAULT_KNN_NEIGHBORS, DEFAULT_BUYERS);
  expect(result.copurchase.pairs).toBe(
    new Set(slice.purchases.map((p) => `${p.userId}\u0000${p.itemId}`)).size,
  );
  const stored = new Map(
    (
      await pg.query<{ item_id: string; ids: string[] }>(
        `SELECT item_id, array_agg(neighbour_id ORDER BY rank) AS ids FROM item_neighbours GROUP BY item_id`,
      )
    ).rows.map((r) => [r.item_id, r.ids]),
  );
  let compared = 0;
  knn.itemIds.forEach((id, j) => {
    const want = [...knn.neighbors.subarray(knn.offsets[j], knn.offsets[j + 1])].map((i) => knn.itemIds[i]);
    expect({ id, neighbours: stored.get(id) ?? [] }).toEqual({ id, neighbours: want });
    compared += want.length;
  });
  expect(compared).toBeGreaterThan(100);

  // A cart of one lunch bag is answered from what the events say goes with it, not from its text alone.
  const cart = await request(url)
    .post('/v1/recommendations')
    .send({ itemIds: [LUNCH_BAG], limit: 5, explain: true });
  expect(cart.status).toBe(200);
  expect(cart.body.strategy).toMatch(/^session:.*(co-purchase|transitions)/);
  const knnOfBag = knn.itemIds.indexOf(LUNCH_BAG);
  const neighbours = new Set(
    [...knn.neighbors.subarray(knn.offsets[knnOfBag], knn.offsets[knnOfBag + 1])].map((i) => knn.itemIds[i]),
  );
  const ids = (cart.body.items as Array<{ id: string }>).map((i) => i.id);
  expect(ids.filter((id) => neighbours.has(id)).length).toBeGreaterThanOrEqual(3);

  // Popularity counts the shoppers who had the item: the most popular item is the one most users sent.
  const popular = await request(url).get('/v1/popular?limit=1');
  const shoppers = new Map<string, Set<string>>();
  for (const p of slice.purchases) {
    const s = shoppers.get(p.itemId) ?? new Set<string>();
    s.add(p.userId);
    shoppers.set(p.itemId, s);
  }
  const most = Math.max(...[...shoppers.values()].map((s) => s.size));
  expect(shoppers.get(popular.body.items[0].id as string)?.size).toBe(most);
}
