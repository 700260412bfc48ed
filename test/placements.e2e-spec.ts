import * as path from 'node:path';
import request from 'supertest';
import { exportPlacements, importPlacements } from '../src/cli/placements-file';
import { ImportService } from '../src/import/import.service';
import { PlacementServingService } from '../src/placements/placement-serving.service';
import { PlacementsService } from '../src/placements/placements.service';
import { PurchaseSignalsService } from '../src/recommendations/purchase-signals.service';
import { RecommendationCache } from '../src/recommendations/recommendation-cache';
import { startTestApp, type TestApp } from './support/app';

const SLICE = path.join(__dirname, 'fixtures', 'online-retail-slice.csv');

interface ListItem {
  id: string;
  score: number;
  rules?: string[];
  reason?: { type: string };
  item?: { price: number | null; inStock: boolean };
}
interface ListBody {
  items: ListItem[];
  strategy: string;
  placement: string;
}

/** Placements and merchandising rules over a real slice of Online Retail, the real index and PostgreSQL. */
describe('placements API', () => {
  let t: TestApp;

  const waitForJob = async (jobId: string) => {
    for (let i = 0; i < 600; i++) {
      const res = await request(t.server).get(`/v1/admin/jobs/${jobId}`);
      if (res.body.status === 'succeeded' || res.body.status === 'failed')
        return res.body as { status: string };
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('job did not finish');
  };
  const put = (id: string, body: object) => request(t.server).put(`/v1/admin/placements/${id}`).send(body);
  const serve = async (id: string, query: string, status = 200): Promise<ListBody> => {
    const res = await request(t.server).get(`/v1/placements/${id}/recommendations?${query}`);
    expect({ status: res.status, body: res.status === status ? 'ok' : res.body }).toEqual({
      status,
      body: 'ok',
    });
    return res.body as ListBody;
  };
  const ids = (b: ListBody) => b.items.map((i) => i.id);
  /** A placement with these rules, served for this context. */
  let n = 0;
  const withRules = async (base: Record<string, unknown>, rules: unknown[], query: string) => {
    const id = `p-${++n}`;
    expect((await put(id, { ...base, rules })).status).toBe(200);
    return serve(id, `${query}&explain=true`);
  };

  beforeAll(async () => {
    // No background warming: the tests below count the lists in the cache (they call the warm step themselves).
    t = await startTestApp({
      REINDEX_DEBOUNCE_MS: '0',
      JOBS_POLL_MS: '100',
      STATS_REFRESH_MS: '0',
      RECS_WARM_USERS: '0',
    });
    await t.app.get(ImportService).onlineRetail(SLICE);
    const job = await request(t.server).post('/v1/admin/reindex').send({ full: true });
    expect((await waitForJob(job.body.jobId as string)).status).toBe('succeeded');
    const co = await request(t.server).post('/v1/admin/copurchase').send({});
    expect((await waitForJob(co.body.jobId as string)).status).toBe('succeeded');
    await t.app.get(PurchaseSignalsService).syncNeighbours(true);
    for (
      let i = 0;
      i < 100 && (await request(t.server).get('/v1/popular?limit=1')).body.items.length === 0;
      i++
    )
      await new Promise((r) => setTimeout(r, 200));
  }, 300_000);

  afterAll(async () => {
    await t?.close();
  });

  describe('admin routes and revisions', () => {
    it('stores every change as a revision with who and when, restores an old one, deletes', async () => {
      const first = await put('home', { kind: 'trending', title: 'Trending now', limit: 8 });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({
        id: 'home',
        kind: 'trending',
        limit: 8,
        revision: 1,
        updatedBy: 'open',
      });
      const second = await put('home', {
        kind: 'trending',
        limit: 5,
        rules: [{ action: 'filter', match: { price: { $gt: 10 } } }],
      });
      expect(second.body.revision).toBe(2);
      expect((await request(t.server).get('/v1/admin/placements/home')).body).toMatchObject({
        revision: 2,
        limit: 5,
      });

      const revs = await request(t.server).get('/v1/admin/placements/home/revisions');
      expect(revs.status).toBe(200);
      expect((revs.body.revisions as Array<{ revision: number }>).map((r) => r.revision)).toEqual([2, 1]);
      expect(revs.body.revisions[1]).toMatchObject({
        createdBy: 'open',
        definition: { kind: 'trending', limit: 8 },
      });

      const restored = await request(t.server).post('/v1/admin/placements/home/revisions/1/restore');
      expect(restored.status).toBe(200);
      expect(restored.body).toMatchObject({ revision: 3, limit: 8, title: 'Trending now' });
      expect(restored.body.rules).toBeUndefined();
      // The served list follows the restored revision at once: 8 items, no price filter.
      const list = await serve('home', '');
      expect(list.items).toHaveLength(8);
      expect(
        (await request(t.server).get('/v1/admin/placements/home/revisions')).body.revisions[0],
      ).toMatchObject({
        revision: 3,
        restoredFrom: 1,
      });
      expect((await request(t.server).post('/v1/admin/placements/home/revisions/9/restore')).status).toBe(
        404,
      );

      const all = await request(t.server).get('/v1/admin/placements');
      expect((all.body.placements as Array<{ id: string }>).map((p) => p.id)).toContain('home');
      expect((await request(t.server).delete('/v1/admin/placements/home')).status).toBe(204);
      expect((await request(t.server).get('/v1/admin/placements/home')).status).toBe(404);
      await serve('home', '', 404);
      expect((await request(t.server).delete('/v1/admin/placements/home')).status).toBe(404);
    });

    it.each([
      [{ action: 'boost', weight: 2, match: { price: { $gte: 'cheap' } } }, 'rules[0].match.price.$gte'],
      [{ action: 'filter', match: { brand: { $where: 'true' } } }, 'rules[0].match.brand.$where'],
      [{ action: 'filter', match: { $expr: { $gt: ['$price', 1] } } }, 'rules[0].match.$expr'],
      [{ action: 'filter', match: { colour: 'red' } }, 'rules[0].match.colour'],
      [{ action: 'pin', itemIds: ['22383'], position: 11 }, 'rules[0].position'],
      [{ action: 'promote', match: { price: 1 }, share: 1.5 }, 'rules[0].share'],
      [
        {
          action: 'filter',
          match: { price: 1 },
          from: '2026-02-01T00:00:00Z',
          until: '2026-01-01T00:00:00Z',
        },
        'rules[0].until',
      ],
      [{ action: 'boost', weight: 0.5, match: { price: 1 } }, 'rules[0].weight'],
      [{ action: 'launch', match: { price: 1 } }, 'rules[0].action'],
    ])('refuses a bad rule with 400 naming its path, storing nothing (%j)', async (rule, where) => {
      const res = await put('bad', {
        kind: 'trending',
        rules: [{ action: 'filter', match: { price: 1 } }, rule].reverse(),
      });
      // The bad rule is first, so its path is rules[0]; the good one is rules[1].
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect((res.body.errors as Array<{ path: string }>).map((e) => e.path)).toContain(where);
      expect((await request(t.server).get('/v1/admin/placements/bad')).status).toBe(404);
    });

    it('refuses filters whose maxPrice is below their minPrice, storing nothing', async () => {
      const res = await put('bad', { kind: 'trending', filters: { minPrice: 5, maxPrice: 1 } });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ path: 'filters.maxPrice', message: 'must be ≥ minPrice' }]);
      expect((await request(t.server).get('/v1/admin/placements/bad')).status).toBe(404);
    });

    it('refuses more than 100 rules and conditions nested over 10 levels', async () => {
      const many = Array.from({ length: 101 }, () => ({ action: 'filter', match: { price: 1 } }));
      const res = await put('bad', { kind: 'trending', rules: many });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].path).toBe('rules');
      let deep: Record<string, unknown> = { price: 1 };
      for (let i = 0; i < 10; i++) deep = { $or: [deep] };
      const nested = await put('bad', { kind: 'trending', rules: [{ action: 'filter', match: deep }] });
      expect(nested.status).toBe(400);
      expect(nested.body.errors[0].path).toMatch(/^rules\[0\]\.match\.\$or\[0\]/);
      expect((await request(t.server).get('/v1/admin/placements/bad')).status).toBe(404);
    });

    it('exports placements as a file and imports it back, all or nothing', async () => {
      expect((await put('cart', { kind: 'complements', limit: 6 })).status).toBe(200);
      expect(
        (
          await put('pdp', {
            kind: 'similar',
            rules: [{ id: 'no-cheap', action: 'filter', match: { price: { $lt: 1 } } }],
          })
        ).status,
      ).toBe(200);
      const svc = t.app.get(PlacementsService);
      const file = JSON.parse(JSON.stringify(await exportPlacements(svc))) as {
        placements: Array<Record<string, unknown>>;
      };
      expect(file.placements.map((p) => p.id)).toEqual(['cart', 'pdp']);
      expect(file.placements[1]).toEqual({
        id: 'pdp',
        kind: 'similar',
        rules: [{ id: 'no-cheap', action: 'filter', match: { price: { $lt: 1 } } }],
      });

      await request(t.server).delete('/v1/admin/placements/cart');
      const bad = {
        placements: [
          ...file.placements,
          { id: 'x', kind: 'similar', rules: [{ action: 'pin', itemIds: ['a'] }] },
        ],
      };
      await expect(importPlacements(svc, bad)).rejects.toThrow(/nothing was written/);
      expect((await request(t.server).get('/v1/admin/placements/cart')).status).toBe(404);

      expect(await importPlacements(svc, file)).toEqual([
        { id: 'cart', revision: 1 },
        { id: 'pdp', revision: 2 },
      ]);
      const cart = await request(t.server).get('/v1/admin/placements/cart');
      expect(cart.body).toMatchObject({ kind: 'complements', limit: 6, updatedBy: 'cli' });
    });
  });

  describe('kinds', () => {
    const KINDS: Array<[string, string, string]> = [
      ['for-you', 'userId=17850', 'userId'],
      ['similar', 'itemId=20725', 'itemId'],
      ['complements', 'itemIds=20725,22383', 'itemIds'],
      ['buy-again', 'userId=17850', 'userId'],
      ['trending', '', ''],
      ['new-arrivals', '', ''],
      ['search', 'text=lunch%20bag', 'text'],
    ];

    it.each(KINDS)(
      '%s serves a full list under the page filters, and names missing context',
      async (kind, query, needs) => {
        const id = `kind-${kind}`;
        expect((await put(id, { kind, limit: 6, filters: { minPrice: 1, maxPrice: 5 } })).status).toBe(200);
        const list = await serve(id, `${query}&includeItems=true`);
        expect(list.placement).toBe(id);
        expect(list.items.length).toBe(6);
        for (const i of list.items) {
          expect(i.item!.price).toBeGreaterThanOrEqual(1);
          expect(i.item!.price).toBeLessThanOrEqual(5);
          expect(i.item!.inStock).toBe(true);
        }
        if (needs) {
          const res = await request(t.server).get(`/v1/placements/${id}/recommendations`);
          expect(res.status).toBe(400);
          expect(res.body.errors[0].path).toBe(needs);
        }
      },
    );

    it('a placement with no rules is the engine as before', async () => {
      await put('plain-for-you', { kind: 'for-you', limit: 10 });
      const mine = await serve('plain-for-you', 'userId=17850');
      const engine = await request(t.server).get('/v1/users/17850/recommendations?limit=10');
      expect(ids(mine)).toEqual((engine.body.items as ListItem[]).map((i) => i.id));
      await put('plain-similar', { kind: 'similar', limit: 10 });
      const sim = await request(t.server).get('/v1/items/20725/similar?limit=10');
      expect(ids(await serve('plain-similar', 'itemId=20725'))).toEqual(
        (sim.body.items as ListItem[]).map((i) => i.id),
      );
    });

    it('a complements placement is the engine’s session list of its cart, or of its one item', async () => {
      await put('plain-cart', { kind: 'complements', limit: 10 });
      for (const [query, itemIds] of [
        ['itemIds=20725,22383', ['20725', '22383']],
        ['itemId=22383', ['22383']],
      ] as const) {
        const mine = await serve('plain-cart', `${query}&explain=true`);
        const engine = await request(t.server)
          .post('/v1/recommendations')
          .send({ itemIds, limit: 10, explain: true });
        expect(engine.status).toBe(200);
        expect(mine.items.length).toBe(10);
        expect(ids(mine)).toEqual((engine.body.items as ListItem[]).map((i) => i.id));
        expect(mine.strategy).toBe(engine.body.strategy);
        expect(mine.strategy).toMatch(/^session:/);
        for (const id of itemIds) expect(ids(mine)).not.toContain(id);
      }
    });

    it('buy-again lists only what the user bought, most re-ordered first', async () => {
      const hist = await request(t.server).get('/v1/users/17850/events?limit=1000');
      const bought = new Set(
        (hist.body.events as Array<{ itemId: string; type: string }>)
          .filter((e) => e.type === 'purchase')
          .map((e) => e.itemId),
      );
      await put('again', { kind: 'buy-again', limit: 10 });
      const again = await serve('again', 'userId=17850&explain=true');
      expect(again.items.length).toBe(10);
      for (const i of again.items) expect(bought.has(i.id)).toBe(true);
      const scores = again.items.map((i) => i.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    });
  });

  describe('rules on real lists', () => {
    const SIMILAR = { kind: 'similar', limit: 10 };
    let base: string[] = [];
    let deep: string[] = [];

    beforeAll(async () => {
      await put('base', { kind: 'similar', limit: 40 });
      deep = ids(await serve('base', 'itemId=20725'));
      expect(deep.length).toBe(40);
      base = deep.slice(0, 10);
    });

    it('boost moves every matching item up (never down) and keeps the others in order', async () => {
      const boosted = deep.slice(5, 15);
      const list = ids(
        await withRules(
          SIMILAR,
          [{ action: 'boost', weight: 3, match: { id: { $in: boosted } } }],
          'itemId=20725',
        ),
      );
      expect(list).toHaveLength(10);
      for (const id of list.filter((x) => boosted.includes(x)))
        expect(list.indexOf(id)).toBeLessThanOrEqual(deep.indexOf(id));
      const others = list.filter((x) => !boosted.includes(x));
      expect(others).toEqual(deep.filter((x) => others.includes(x)));
      expect(list.filter((x) => boosted.includes(x)).length).toBeGreaterThan(5);
    });

    it('bury moves every matching item down (never up)', async () => {
      const buried = base.slice(0, 3);
      const list = ids(
        await withRules(
          SIMILAR,
          [{ action: 'bury', weight: 0.1, match: { id: { $in: buried } } }],
          'itemId=20725',
        ),
      );
      expect(list).toHaveLength(10);
      for (const id of buried)
        if (list.includes(id)) expect(list.indexOf(id)).toBeGreaterThanOrEqual(base.indexOf(id));
      expect(list.slice(0, 3)).toEqual(base.slice(3, 6));
    });

    it('filter removes matching items and the list still has its limit (over-fetch)', async () => {
      const removed = deep.slice(0, 25);
      const list = ids(
        await withRules(SIMILAR, [{ action: 'filter', match: { id: { $in: removed } } }], 'itemId=20725'),
      );
      expect(list).toEqual(deep.slice(25, 35));
    });

    it('pins hold their place, even for an item that is no candidate', async () => {
      const far = '85123A'; // a popular item, not among the lunch bag's neighbours here
      expect(deep).not.toContain(far);
      const rules = [
        { action: 'pin', itemIds: [far], position: 1 },
        { action: 'pin', itemIds: [deep[30]], position: 4 },
        { action: 'boost', weight: 5, match: { id: { $in: deep.slice(10, 20) } } },
      ];
      const list = await withRules(SIMILAR, rules, 'itemId=20725');
      expect(list.items[0]).toMatchObject({ id: far, rules: ['rules[0]'] });
      expect(list.items[3]).toMatchObject({ id: deep[30], rules: ['rules[1]'] });
      expect(list.items).toHaveLength(10);
    });

    it('promote never exceeds its share and fills it when enough matching items exist', async () => {
      const match = { id: { $in: deep.slice(20, 40) } }; // 20 matching items, none in the top 10
      const promoted = await withRules(SIMILAR, [{ action: 'promote', share: 0.3, match }], 'itemId=20725');
      const touched = promoted.items.filter((i) => i.rules!.includes('rules[0]')).map((i) => i.id);
      expect(touched).toEqual(deep.slice(20, 23));
      expect(ids(promoted).filter((id) => deep.slice(20, 40).includes(id))).toHaveLength(3);
      expect(ids(promoted).slice(0, 7)).toEqual(base.slice(0, 7));
      // Only two matching items exist: both, and no more.
      const two = await withRules(
        SIMILAR,
        [{ action: 'promote', share: 0.5, match: { id: { $in: deep.slice(30, 32) } } }],
        'itemId=20725',
      );
      expect(
        ids(two)
          .filter((id) => deep.slice(30, 32).includes(id))
          .sort(),
      ).toEqual(deep.slice(30, 32).sort());
      expect(ids(two).slice(0, 8)).toEqual(base.slice(0, 8));
    });

    it('expired and future rules do nothing; `when` follows the context item', async () => {
      const match = { id: { $in: base } };
      const past = await withRules(
        SIMILAR,
        [{ action: 'filter', match, until: '2020-01-01T00:00:00Z' }],
        'itemId=20725',
      );
      expect(ids(past)).toEqual(base);
      const future = await withRules(
        SIMILAR,
        [{ action: 'filter', match, from: '2999-01-01T00:00:00Z' }],
        'itemId=20725',
      );
      expect(ids(future)).toEqual(base);
      const now = await withRules(
        SIMILAR,
        [{ action: 'filter', match, from: '2020-01-01T00:00:00Z', until: '2999-01-01T00:00:00Z' }],
        'itemId=20725',
      );
      expect(ids(now)).toEqual(deep.slice(10, 20));
      const when = [{ action: 'filter', match, when: { id: '20725' } }];
      expect(ids(await withRules(SIMILAR, when, 'itemId=20725'))).toEqual(deep.slice(10, 20));
      const other = await withRules(
        SIMILAR,
        [{ action: 'filter', match: { id: { $in: base } }, when: { id: 'nope' } }],
        'itemId=20725',
      );
      expect(ids(other)).toEqual(base);
    });

    it('conditions see brand, attributes and category set through the items API', async () => {
      const [x, y] = [deep[12], deep[14]];
      expect(
        (
          await request(t.server)
            .patch(`/v1/items/${x}`)
            .send({ brand: 'Acme', attributes: { margin: 0.4 } })
        ).status,
      ).toBe(200);
      expect(
        (
          await request(t.server)
            .patch(`/v1/items/${y}`)
            .send({ category: 'Bags/Lunch', attributes: { margin: 0.1 } })
        ).status,
      ).toBe(200);
      const list = await withRules(
        SIMILAR,
        [
          { action: 'pin', itemIds: [x], position: 2, when: { 'attributes.margin': { $exists: false } } },
          {
            action: 'promote',
            share: 0.1,
            match: { $and: [{ category: { $prefix: 'bags' } }, { 'attributes.margin': { $lt: 0.2 } }] },
          },
        ],
        'itemId=20725',
      );
      expect(list.items[1]).toMatchObject({ id: x, rules: ['rules[0]'] });
      expect(list.items.find((i) => i.id === y)?.rules).toEqual(['rules[1]']);
      const boost = await withRules(
        SIMILAR,
        [{ action: 'boost', weight: 100, match: { brand: 'Acme', 'attributes.margin': { $gte: 0.3 } } }],
        'itemId=20725',
      );
      expect(boost.items[0].id).toBe(x);
    });

    it('never resurrects deleted or out-of-stock items', async () => {
      const [gone, out] = [deep[1], deep[2]];
      expect((await request(t.server).delete(`/v1/items/${gone}`)).status).toBe(204);
      expect((await request(t.server).patch(`/v1/items/${out}`).send({ inStock: false })).status).toBe(200);
      const match = { id: { $in: [gone, out] } };
      const list = ids(
        await withRules(
          SIMILAR,
          [
            { action: 'pin', itemIds: [gone, out], position: 1 },
            { action: 'boost', weight: 50, match },
            { action: 'promote', share: 0.5, match },
          ],
          'itemId=20725',
        ),
      );
      expect(list).toHaveLength(10);
      expect(list).not.toContain(gone);
      expect(list).not.toContain(out);
    });
  });

  describe('rules on cached for-you lists (the ranking core runs them)', () => {
    const USER = 'userId=17850';
    let deep: string[] = [];
    const cached = () => t.app.get(RecommendationCache).lists;
    const iso = (ms: number) => new Date(ms).toISOString();
    const until = async (ms: number) => {
      while (Date.now() < ms) await new Promise((r) => setTimeout(r, Math.max(10, ms - Date.now())));
    };

    beforeAll(async () => {
      await put('fy-base', { kind: 'for-you', limit: 40 });
      deep = ids(await serve('fy-base', USER));
      expect(deep.length).toBe(40);
    });

    it('a filter reaches below the cut of a personalised list, and the list is cached under its rules', async () => {
      const rules = [{ action: 'filter', match: { id: { $in: deep.slice(0, 20) } } }];
      expect((await put('fy-filter', { kind: 'for-you', limit: 10, rules })).status).toBe(200);
      const before = cached();
      expect(ids(await serve('fy-filter', USER))).toEqual(deep.slice(20, 30));
      expect(cached()).toBe(before + 1);
      expect(ids(await serve('fy-filter', USER))).toEqual(deep.slice(20, 30));
      expect(cached()).toBe(before + 1);
    });

    it('a cached list changes when a rule window opens, and back when it closes', async () => {
      const from = Date.now() + 2500;
      const to = from + 2500;
      const rules = [
        { action: 'filter', match: { id: { $in: deep.slice(0, 5) } }, from: iso(from), until: iso(to) },
      ];
      expect((await put('fy-window', { kind: 'for-you', limit: 10, rules })).status).toBe(200);
      expect(ids(await serve('fy-window', USER))).toEqual(deep.slice(0, 10));
      expect(ids(await serve('fy-window', USER))).toEqual(deep.slice(0, 10));
      await until(from + 20);
      expect(ids(await serve('fy-window', USER))).toEqual(deep.slice(5, 15));
      expect(ids(await serve('fy-window', USER))).toEqual(deep.slice(5, 15));
      await until(to + 20);
      expect(ids(await serve('fy-window', USER))).toEqual(deep.slice(0, 10));
    });

    it('a new revision of the rules is served on the very next request', async () => {
      const first = [{ action: 'filter', match: { id: { $in: deep.slice(0, 3) } } }];
      expect((await put('fy-rev', { kind: 'for-you', limit: 10, rules: first })).status).toBe(200);
      expect(ids(await serve('fy-rev', USER))).toEqual(deep.slice(3, 13));
      const second = [{ action: 'boost', weight: 1000, match: { id: deep[30] } }];
      expect((await put('fy-rev', { kind: 'for-you', limit: 10, rules: second })).status).toBe(200);
      const list = await serve('fy-rev', `${USER}&explain=true`);
      expect(list.items[0]).toMatchObject({ id: deep[30], rules: ['rules[0]'] });
      expect(ids(list).slice(1)).toEqual(deep.slice(0, 9));
      const restored = await request(t.server).post('/v1/admin/placements/fy-rev/revisions/1/restore');
      expect(restored.status).toBe(200);
      expect(ids(await serve('fy-rev', USER))).toEqual(deep.slice(3, 13));
    });

    it('with diversity, pins keep their places and filtered items stay out', async () => {
      const rules = [
        { action: 'pin', itemIds: [deep[35]], position: 3 },
        { action: 'filter', match: { id: deep[0] } },
      ];
      const list = await serve(
        (await put('fy-div', { kind: 'for-you', limit: 10, diversity: 0.5, rules })).body.id as string,
        USER,
      );
      expect(list.items).toHaveLength(10);
      expect(list.items[2].id).toBe(deep[35]);
      expect(ids(list)).not.toContain(deep[0]);
    });

    it("the warm step makes a user's list under rules ahead of the request, once", async () => {
      const rules = [{ action: 'filter', match: { id: { $in: deep.slice(0, 2) } } }];
      expect((await put('fy-warm', { kind: 'for-you', limit: 10, rules })).status).toBe(200);
      const serving = t.app.get(PlacementServingService);
      const before = cached();
      expect(await serving.warm('17850')).toBeGreaterThanOrEqual(1);
      const warmed = cached();
      expect(warmed).toBeGreaterThan(before);
      expect(await serving.warm('17850')).toBe(0);
      expect(ids(await serve('fy-warm', USER))).toEqual(deep.slice(2, 12));
      expect(cached()).toBe(warmed);
    });

    it('a cached list under rules honours a deleted item at once', async () => {
      const rules = [{ action: 'bury', weight: 0.5, match: { id: { $in: deep.slice(30, 40) } } }];
      expect((await put('fy-del', { kind: 'for-you', limit: 10, rules })).status).toBe(200);
      const first = ids(await serve('fy-del', USER));
      const before = cached();
      expect(ids(await serve('fy-del', USER))).toEqual(first);
      expect(cached()).toBe(before);
      expect((await request(t.server).delete(`/v1/items/${first[0]}`)).status).toBe(204);
      const after = ids(await serve('fy-del', USER));
      expect(after).toHaveLength(10);
      expect(after).not.toContain(first[0]);
      expect(after.slice(0, 9)).toEqual(first.slice(1, 10));
    });
  });

  describe('preview', () => {
    it('shows the list with and without the draft, reasons and rules per item, and when a rule empties it', async () => {
      await put('pv', { kind: 'similar', limit: 5 });
      const stored = ids(await serve('pv', 'itemId=20725'));
      const res = await request(t.server)
        .post('/v1/admin/placements/pv/preview')
        .send({
          placement: {
            kind: 'similar',
            limit: 5,
            rules: [{ id: 'top-first', action: 'pin', itemIds: [stored[4]], position: 1 }],
          },
          context: { itemId: '20725' },
        });
      expect(res.status).toBe(200);
      expect((res.body.withoutDraft.items as ListItem[]).map((i) => i.id)).toEqual(stored);
      expect(res.body.withoutDraft.source).toBe('revision 1');
      expect((res.body.withDraft.items as ListItem[]).map((i) => i.id)).toEqual([
        stored[4],
        ...stored.slice(0, 4),
      ]);
      // Each item keeps the reason its kind gave it (co-purchase, successor or text neighbour of the item).
      const without = res.body.withoutDraft.items as Array<ListItem & { reason: { type: string } }>;
      expect(without[4].reason.type).toMatch(/^(similar-to|co-purchased-with|bought-after)$/);
      expect(res.body.withDraft.items[0]).toMatchObject({ rules: ['top-first'], reason: without[4].reason });
      expect(res.body.withDraft.items[1]).toMatchObject({ rules: [], reason: without[0].reason });
      expect(res.body.empty).toBe(false);
      // Nothing was stored by the preview.
      expect((await request(t.server).get('/v1/admin/placements/pv')).body.revision).toBe(1);

      const emptying = await request(t.server)
        .post('/v1/admin/placements/pv/preview')
        .send({
          placement: { kind: 'similar', rules: [{ action: 'filter', match: { inStock: true } }] },
          context: { itemId: '20725' },
        });
      expect(emptying.status).toBe(200);
      expect(emptying.body.empty).toBe(true);
      expect(emptying.body.withDraft.items).toEqual([]);
      expect(emptying.body.withoutDraft.items.length).toBe(5);
      expect((emptying.body.warnings as string[]).join(' ')).toMatch(/rules\[0\] removes every candidate/);

      const bad = await request(t.server)
        .post('/v1/admin/placements/pv/preview')
        .send({ placement: { kind: 'similar' }, context: {} });
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].path).toBe('itemId');
    });
  });
});
