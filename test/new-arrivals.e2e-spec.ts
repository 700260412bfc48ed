import request from 'supertest';
import { DataSource } from 'typeorm';
import { EXPOSURE_SETTLE_MS, NewArrivalExposure } from '../src/attribution/new-arrival-exposure';
import { ServedListRecorder } from '../src/attribution/served-list.recorder';
import { newArrivalPlaces } from '../src/ranking/new-arrivals';
import { PurchaseSignalsService } from '../src/recommendations/purchase-signals.service';
import { startTestApp, type TestApp } from './support/app';

/**
 * New arrivals by the catalog's own dates, through the API on a real database and the real encoder: the
 * new-arrival place of discovery and session lists goes to an unsold item on sale for a few days, never to
 * unsold items on sale for months (dead stock), even when their text is closer to the shopper's; and an
 * arrival shown NEW_ARRIVAL_IMPRESSIONS_PER_CLICK times without a click loses the place until a click.
 */
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const PER_CLICK = 3;

// Tea cups: the shop sells six colours; two more colours never sold in months; a tea pot came in two days ago.
const CUPS = ['PINK', 'BLUE', 'WHITE', 'RED', 'IVORY', 'BLACK'].map((c) => ({
  id: `cup-${c.toLowerCase()}`,
  title: `${c} CERAMIC TEA CUP`,
  availableFrom: ago(400),
}));
const DEAD = [
  { id: 'cup-green', title: 'GREEN CERAMIC TEA CUP', availableFrom: ago(200) },
  { id: 'cup-yellow', title: 'YELLOW CERAMIC TEA CUP', availableFrom: ago(90) },
];
const POT = { id: 'tea-pot', title: 'CERAMIC TEA POT', availableFrom: ago(2) };
// Garden tools, and a kneeler that came in yesterday: the explore/exploit case.
const TOOLS = ['TROWEL', 'FORK', 'RAKE', 'SHEARS', 'HOE', 'WEEDER'].map((t) => ({
  id: `garden-${t.toLowerCase()}`,
  title: `GARDEN HAND ${t}`,
  availableFrom: ago(300),
}));
const KNEELER = { id: 'garden-kneeler', title: 'GARDEN KNEELER PAD', availableFrom: ago(1) };

type Listed = { id: string; reason?: { type: string } };
type List = { items: Listed[]; recommId: string; strategy: string };
const ids = (l: List) => l.items.map((i) => i.id);
const deadIds = DEAD.map((d) => d.id);

async function waitForJob(t: TestApp, id: string): Promise<void> {
  for (let i = 0; i < 1800; i++) {
    const j = await request(t.server).get(`/v1/admin/jobs/${id}`);
    if (j.body.status === 'succeeded') return;
    if (j.body.status === 'failed') throw new Error(`job failed: ${j.body.error}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} did not finish`);
}

/** A test app with `items` indexed and `events` in its purchase signals; `env` adds to the settings. */
async function openShop(
  env: Record<string, string>,
  items: unknown[],
  events: Array<{ userId: string; itemId: string; type: string; timestamp: string }>,
): Promise<TestApp> {
  const t = await startTestApp({
    REINDEX_DEBOUNCE_MS: '0',
    JOBS_POLL_MS: '100',
    STATS_REFRESH_MS: '0',
    ...env,
  });
  expect((await request(t.server).put('/v1/items').send({ items })).status).toBe(200);
  await waitForJob(t, (await request(t.server).post('/v1/admin/reindex').send({ full: true })).body.jobId);
  expect((await request(t.server).post('/v1/events').send({ events })).status).toBe(202);
  await t.app.get(PurchaseSignalsService).refresh();
  return t;
}

/** Four other shoppers who bought each of `items` ten days ago: those items sell. */
const soldToOthers = (items: Array<{ id: string }>) =>
  ['o1', 'o2', 'o3', 'o4'].flatMap((userId) =>
    items.map((i) => ({ userId, itemId: i.id, type: 'purchase', timestamp: ago(10) })),
  );

describe('new arrivals by the catalog dates (real encoder, API and PostgreSQL)', () => {
  let t: TestApp;

  const discovery = async (userId: string, limit = 3): Promise<List> => {
    const res = await request(t.server).get(
      `/v1/users/${userId}/recommendations?excludePurchased=true&limit=${limit}&explain=true`,
    );
    expect(res.status).toBe(200);
    expect(res.body.strategy).toBe('personalized');
    return res.body as List;
  };
  const session = async (itemIds: string[], limit = 3): Promise<List> => {
    const res = await request(t.server).post('/v1/recommendations').send({ itemIds, limit });
    expect(res.status).toBe(200);
    expect(res.body.strategy).toMatch(/^session:[a-z+-]+$/);
    return res.body as List;
  };
  /**
   * What the lists served so far showed and shoppers clicked, read as a refresh does once they settled: its
   * clock is set EXPOSURE_SETTLE_MS ahead, so its window ends now. The pauses keep lists served before and
   * after the read on their own side of that end (served_at has millisecond precision).
   */
  const countExposure = async () => {
    await t.app.get(ServedListRecorder).flush();
    await new Promise((r) => setTimeout(r, 10));
    await t.app.get(NewArrivalExposure).refresh(new Date(Date.now() + EXPOSURE_SETTLE_MS));
    await new Promise((r) => setTimeout(r, 10));
  };

  beforeAll(async () => {
    // u1 bought pink and blue cups; four other shoppers bought every colour on sale and the garden tools;
    // u2 bought a trowel and a fork.
    t = await openShop(
      {
        NEW_ARRIVAL_IMPRESSIONS_PER_CLICK: String(PER_CLICK),
        // Every list keeps its place, so that each one shown counts (the share itself: a test below).
        RECS_NEW_ITEM_SHARE: '1',
        // Refreshed by the test alone (with a clock past the settling delay).
        NEW_ARRIVAL_EXPOSURE_REFRESH_MS: '3600000',
      },
      [...CUPS, ...DEAD, POT, ...TOOLS, KNEELER],
      [
        { userId: 'u1', itemId: 'cup-pink', type: 'purchase', timestamp: ago(5) },
        { userId: 'u1', itemId: 'cup-blue', type: 'purchase', timestamp: ago(5) },
        { userId: 'u2', itemId: 'garden-trowel', type: 'purchase', timestamp: ago(4) },
        { userId: 'u2', itemId: 'garden-fork', type: 'purchase', timestamp: ago(4) },
        ...soldToOthers([...CUPS, ...TOOLS]),
      ],
    );
  }, 600_000);

  afterAll(async () => {
    await t?.close();
  });

  it('gives the new-arrival place to the unsold item on sale for days, never to dead stock', async () => {
    // Dead stock is closer by text to what u1 bought than the pot is: only the dates tell them apart.
    const mine = await discovery('u1');
    expect(mine.items).toHaveLength(3);
    expect(ids(mine)).toContain(POT.id);
    expect(ids(mine).filter((id) => deadIds.includes(id))).toEqual([]);
    // The rest are the colours on sale.
    expect(
      ids(mine)
        .filter((id) => id !== POT.id)
        .every((id) => id.startsWith('cup-')),
    ).toBe(true);

    const cart = await session(['cup-pink']);
    expect(ids(cart)).toContain(POT.id);
    expect(ids(cart).filter((id) => deadIds.includes(id))).toEqual([]);

    // Lists that may repeat purchases keep every place for the ranking: no arrival, no dead stock either.
    const res = await request(t.server).get('/v1/users/u1/recommendations?limit=3');
    expect(ids(res.body as List).filter((id) => deadIds.includes(id))).toEqual([]);
  });

  it("follows the item's own date: dead stock dated into the window is a new arrival, and back", async () => {
    const patched = await request(t.server)
      .patch('/v1/items/cup-green')
      .send({ availableFrom: ago(1) });
    expect(patched.status).toBe(200);
    expect(Date.parse(patched.body.availableFrom)).toBeGreaterThan(Date.now() - 2 * DAY);
    // Now the green cup is new too, and closer to the cart than the pot: it takes the place.
    const cart = await session(['cup-pink']);
    expect(ids(cart)).toContain('cup-green');
    expect(ids(cart)).not.toContain(POT.id);

    const back = await request(t.server)
      .patch('/v1/items/cup-green')
      .send({ availableFrom: ago(200) });
    expect(back.status).toBe(200);
    const again = await session(['cup-pink']);
    expect(ids(again)).toContain(POT.id);
    expect(ids(again)).not.toContain('cup-green');
  });

  it('takes the place from an arrival shown N times without a click; a click earns it N more', async () => {
    const shown: Array<{ recomm_id: string }> = await t.app
      .get(DataSource)
      .query(`SELECT recomm_id FROM served_lists WHERE $1 = ANY(item_ids)`, [KNEELER.id]);
    expect(shown).toEqual([]);
    await countExposure();

    // Shown PER_CLICK times in two rounds of counting (the same list, from the cache after the first; each
    // response is a served list): one impression short, it keeps the place.
    const lists: List[] = [];
    for (let i = 0; i < PER_CLICK - 1; i++) lists.push(await discovery('u2'));
    await countExposure();
    lists.push(await discovery('u2'));
    for (const l of lists) expect(ids(l)).toContain(KNEELER.id);
    await countExposure();
    // No click in PER_CLICK impressions: the kneeler loses the place (the cached list is not served again;
    // the place may go to another arrival, the tea pot, unless its own impressions took it away too).
    const after = await discovery('u2');
    expect(ids(after)).not.toContain(KNEELER.id);
    expect(after.items).toHaveLength(3);

    // u2 clicks it in one of the lists they were shown: it earns PER_CLICK more impressions.
    const click = {
      userId: 'u2',
      itemId: KNEELER.id,
      type: 'view',
      recommId: lists[0].recommId,
      position: ids(lists[0]).indexOf(KNEELER.id) + 1,
    };
    expect(
      (
        await request(t.server)
          .post('/v1/events')
          .send({ events: [click] })
      ).status,
    ).toBe(202);
    await countExposure();
    const clicked = await discovery('u2');
    expect(ids(clicked)).toContain(KNEELER.id);
  });
});

describe('the share of lists with a new-arrival place (RECS_NEW_ITEM_SHARE, API and PostgreSQL)', () => {
  let t: TestApp;
  // 24 shoppers who bought one cup each, and carts of two cups: at a share of one half, about half keep the place.
  const shoppers = Array.from({ length: 24 }, (_, i) => `s${i}`);
  const carts = CUPS.flatMap((a, i) => CUPS.slice(i + 1).map((b) => [a.id, b.id]));

  beforeAll(async () => {
    t = await openShop(
      // No exposure rule: every list asked here may show the pot.
      { RECS_NEW_ITEM_SHARE: '0.5', NEW_ARRIVAL_IMPRESSIONS_PER_CLICK: '0' },
      [...CUPS, ...DEAD, POT],
      [
        ...shoppers.map((userId, i) => ({
          userId,
          itemId: CUPS[i % CUPS.length].id,
          type: 'purchase',
          timestamp: ago(5),
        })),
        ...soldToOthers(CUPS),
      ],
    );
  }, 600_000);

  afterAll(async () => {
    await t?.close();
  });

  it('gives the place in the lists of the shoppers and carts drawn for today, the same list when asked again', async () => {
    const withPot = async (ask: () => Promise<List>) => {
      const first = await ask();
      expect(first.items).toHaveLength(3);
      expect(ids(await ask())).toEqual(ids(first));
      return ids(first).includes(POT.id);
    };
    const drawn = (key: string) => newArrivalPlaces(1, 0.5, key, Date.now()) > 0;
    const users = await Promise.all(
      shoppers.map(async (userId) => {
        const res = () =>
          request(t.server).get(`/v1/users/${userId}/recommendations?excludePurchased=true&limit=3`);
        return { userId, pot: await withPot(async () => (await res()).body as List) };
      }),
    );
    // The pot is in a shopper's list exactly when the day's draw gave them the place: the cups that sell
    // outrank it everywhere else.
    expect(users.filter((u) => u.pot).map((u) => u.userId)).toEqual(shoppers.filter(drawn));
    expect(users.filter((u) => u.pot).length).toBeGreaterThan(0);
    expect(users.filter((u) => !u.pot).length).toBeGreaterThan(0);

    const sessions = await Promise.all(
      carts.map(async (cart) => ({
        cart,
        pot: await withPot(
          async () =>
            (await request(t.server).post('/v1/recommendations').send({ itemIds: cart, limit: 3 }))
              .body as List,
        ),
      })),
    );
    expect(sessions.filter((c) => c.pot).map((c) => c.cart)).toEqual(
      carts.filter((cart) => drawn(cart.join('\u0000'))),
    );
    expect(sessions.filter((c) => c.pot).length).toBeGreaterThan(0);
    expect(sessions.filter((c) => !c.pot).length).toBeGreaterThan(0);
  });
});

describe('availableFrom on items (API, real PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ REINDEX_DEBOUNCE_MS: '0', JOBS_WORKER: 'false' });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  const put = (items: unknown[]) => request(t.server).put('/v1/items').send({ items });
  const get = (id: string) => request(t.server).get(`/v1/items/${id}`);

  it.each([
    ['not a date', 'yesterday'],
    ['a date-time without a zone', '2024-05-01T10:00:00'],
    ['an impossible date', '2024-02-30'],
    ['a number', 1714557600000],
    ['null', null],
    ['before 1900', '0001-01-01T00:00:00Z'],
  ])('refuses %s with a 400 naming the field, writing nothing of the batch', async (_, value) => {
    const res = await put([
      { id: 'ok-1', title: 'Lamp' },
      { id: 'bad-1', title: 'Vase', availableFrom: value },
    ]);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([{ path: 'items[1].availableFrom', message: expect.any(String) }]);
    expect((await get('ok-1')).status).toBe(404);
  });

  it('refuses a bad date in a PATCH, naming it, and leaves the item as it was', async () => {
    expect((await put([{ id: 'p-1', title: 'Bowl', availableFrom: '2025-01-01' }])).status).toBe(200);
    const res = await request(t.server).patch('/v1/items/p-1').send({ availableFrom: '2025-13-01' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([{ path: 'availableFrom', message: expect.any(String) }]);
    expect((await get('p-1')).body.availableFrom).toBe('2025-01-01T00:00:00.000Z');
  });

  it('stores, returns and changes the date; omitting it keeps it; without one it is the first sight', async () => {
    expect(
      (await put([{ id: 'd-1', title: 'Jug', availableFrom: '2025-01-02T03:04:05+02:00' }])).body,
    ).toEqual({ upserted: 1, unchanged: 0 });
    const got = await get('d-1');
    expect(got.status).toBe(200);
    expect(got.body.availableFrom).toBe('2025-01-02T01:04:05.000Z');
    expect(got.body.createdAt).toEqual(expect.any(String));

    // The same date spelled otherwise, or no date at all: unchanged, the date kept.
    expect((await put([{ id: 'd-1', title: 'Jug', availableFrom: '2025-01-02T01:04:05Z' }])).body).toEqual({
      upserted: 0,
      unchanged: 1,
    });
    expect((await put([{ id: 'd-1', title: 'Jug' }])).body).toEqual({ upserted: 0, unchanged: 1 });
    expect((await get('d-1')).body.availableFrom).toBe('2025-01-02T01:04:05.000Z');

    // A new date alone is a change.
    expect((await put([{ id: 'd-1', title: 'Jug', availableFrom: '2025-06-01' }])).body).toEqual({
      upserted: 1,
      unchanged: 0,
    });
    expect((await get('d-1')).body.availableFrom).toBe('2025-06-01T00:00:00.000Z');
    const patched = await request(t.server).patch('/v1/items/d-1').send({ availableFrom: '2025-07-01' });
    expect(patched.status).toBe(200);
    expect(patched.body.availableFrom).toBe('2025-07-01T00:00:00.000Z');
    // A PATCH of another field keeps the date.
    const titled = await request(t.server).patch('/v1/items/d-1').send({ title: 'Milk jug' });
    expect(titled.body).toMatchObject({ title: 'Milk jug', availableFrom: '2025-07-01T00:00:00.000Z' });

    // No date given: on sale from the moment the catalog first saw it.
    expect((await put([{ id: 'd-2', title: 'Cup' }])).status).toBe(200);
    const fresh = (await get('d-2')).body as { availableFrom: string; createdAt: string };
    expect(fresh.availableFrom).toBe(fresh.createdAt);
  });
});
