import * as path from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { EmbeddingsService } from '../src/embeddings/embeddings.service';
import { ImportService } from '../src/import/import.service';
import { PurchaseSignalsService } from '../src/recommendations/purchase-signals.service';
import { mulberry32 } from '../src/common/random';
import { ModelVersionsRepository } from '../src/training/model-versions.repository';
import { ProjectionModel } from '../src/training/model/projection-model';
import { startTestApp, type TestApp } from './support/app';

const SLICE = path.join(__dirname, 'fixtures', 'online-retail-slice.csv');

interface Item {
  id: string;
  team?: string;
}
interface List {
  items: Item[];
  recommId: string;
  variant?: string;
  experiment?: string;
  modelVersion: string | null;
  strategy: string;
}
interface VariantResult {
  id: string;
  users: number;
  lists: number;
  clicks: number;
  ctr: number;
  ctrInterval: [number, number];
  conversions: number;
  revenue: number;
  lift?: number;
  pValue?: number;
}

const ids = (l: { items: Item[] }) => l.items.map((i) => i.id);

/**
 * Whether `list` is a team-draft interleaving of `a` and `b`: every item is its team's best item not shown
 * above it, and the team with fewer picks always picked next (so the counts never differ by more than one
 * while both teams still had items to give).
 */
function isTeamDraft(list: Item[], a: string[], b: string[], teams: [string, string]): string | undefined {
  const source = { [teams[0]]: a, [teams[1]]: b };
  const shown = new Set<string>();
  const picks = { [teams[0]]: 0, [teams[1]]: 0 };
  for (const [k, item] of list.entries()) {
    const team = item.team;
    if (team === undefined || !(team in source)) return `item ${k} has no team`;
    const best = source[team].find((id) => !shown.has(id));
    if (best !== item.id) return `item ${k} (${item.id}) is not ${team}'s best remaining (${best})`;
    const other = team === teams[0] ? teams[1] : teams[0];
    const otherHasMore = source[other].some((id) => !shown.has(id));
    if (picks[team] > picks[other] && otherHasMore) return `item ${k}: ${team} picked out of turn`;
    shown.add(item.id);
    picks[team]++;
  }
  return undefined;
}

/** Experiments through the HTTP API, on a real slice of Online Retail, the real index and PostgreSQL. */
describe('experiments API', () => {
  let t: TestApp;
  const db = () => t.app.get(DataSource);

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
  const create = (body: object) => request(t.server).post('/v1/admin/experiments').send(body);
  const results = async (id: string) => {
    const res = await request(t.server).get(`/v1/admin/experiments/${id}`);
    expect(res.status).toBe(200);
    return res.body as {
      status: string;
      variants: VariantResult[];
      interleaving?: { wins: number; losses: number; ties: number; pValue: number };
      series: Array<{ day: string; variant: string; lists: number; clicks: number }>;
      promotedVariant: string | null;
    };
  };
  const serve = async (placement: string, query: string): Promise<List> => {
    const res = await request(t.server).get(`/v1/placements/${placement}/recommendations?${query}`);
    expect(res.status).toBe(200);
    return res.body as List;
  };
  const send = async (events: object[]) => {
    const res = await request(t.server).post('/v1/events').send({ events });
    expect(res.status).toBe(202);
    return res.body as { accepted: number; duplicates: number; unknownRecommIds: number };
  };

  let shoppers: string[] = [];
  const prices = new Map<string, number>();

  beforeAll(async () => {
    t = await startTestApp({ REINDEX_DEBOUNCE_MS: '0', JOBS_POLL_MS: '100', STATS_REFRESH_MS: '0' });
    await t.app.get(ImportService).onlineRetail(SLICE);
    const job = await request(t.server).post('/v1/admin/reindex').send({ full: true });
    expect((await waitForJob(job.body.jobId as string)).status).toBe('succeeded');
    await t.app.get(PurchaseSignalsService).refresh();
    const rows: Array<{ user_id: string }> = await db().query(
      `SELECT user_id FROM events GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 40`,
    );
    shoppers = rows.map((r) => r.user_id);
    const items = await db().query<Array<{ id: string; price: number }>>(`SELECT id, price FROM items`);
    for (const r of items) prices.set(r.id, r.price);
  }, 300_000);

  afterAll(async () => {
    await t?.close();
  });

  describe('A/B', () => {
    beforeAll(async () => {
      expect((await put('home', { kind: 'for-you', limit: 6 })).status).toBe(200);
    });

    it('assigns every user stickily, in proportion to the weights; no user and no session → no experiment', async () => {
      const made = await create({
        id: 'split',
        placement: 'home',
        mode: 'ab',
        variants: [
          { id: 'control', weight: 1 },
          { id: 'popular', weight: 3, strategy: 'popular' },
        ],
      });
      expect(made.status).toBe(201);
      expect(made.body).toMatchObject({ id: 'split', mode: 'ab', status: 'running' });
      const seen = new Map<string, string>();
      for (let i = 0; i < 400; i++) {
        const list = await serve('home', `userId=visitor-${i}`);
        expect(list.experiment).toBe('split');
        seen.set(`visitor-${i}`, list.variant!);
      }
      // 400 users at ¾: expected 300 in `popular`, σ = √(400 · ¾ · ¼) ≈ 8.7; ±40 is more than 4σ.
      const popular = [...seen.values()].filter((v) => v === 'popular').length;
      expect(Math.abs(popular - 300)).toBeLessThan(40);
      for (let i = 0; i < 60; i++)
        expect((await serve('home', `userId=visitor-${i}`)).variant).toBe(seen.get(`visitor-${i}`));
      // The popular variant really serves the popular list.
      const popularList = (await request(t.server).get('/v1/popular?limit=6')).body as List;
      const inPopular = [...seen].find(([, v]) => v === 'popular')![0];
      expect(ids(await serve('home', `userId=${inPopular}`))).toEqual(ids(popularList));
      expect((await request(t.server).post('/v1/admin/experiments/split/stop')).status).toBe(200);

      // A session stands in for a missing user, stickily too; a list for nobody is served outside.
      expect((await put('trend', { kind: 'trending', limit: 5 })).status).toBe(200);
      const variants = [{ id: 'a' }, { id: 'b', strategy: 'popular' }];
      expect((await create({ id: 'by-session', placement: 'trend', mode: 'ab', variants })).status).toBe(201);
      const sessions = new Set<string>();
      for (let s = 0; s < 20; s++) {
        const first = await serve('trend', `sessionId=s-${s}`);
        sessions.add(first.variant!);
        for (let i = 0; i < 3; i++)
          expect((await serve('trend', `sessionId=s-${s}`)).variant).toBe(first.variant);
      }
      expect(sessions).toEqual(new Set(['a', 'b']));
      const nobody = await serve('trend', '');
      expect(nobody.variant).toBeUndefined();
      expect(nobody.experiment).toBeUndefined();
      expect((await request(t.server).post('/v1/admin/experiments/by-session/stop')).status).toBe(200);
    });

    it('counts exactly the lists, users, clicks, conversions and revenue the shoppers made', async () => {
      expect(
        (
          await create({
            id: 'counts',
            placement: 'home',
            mode: 'ab',
            variants: [{ id: 'engine' }, { id: 'popular', strategy: 'popular' }],
          })
        ).status,
      ).toBe(201);
      const tally = new Map<
        string,
        { users: Set<string>; lists: number; clicks: number; buys: number; revenue: number }
      >();
      const events: object[] = [];
      let n = 0;
      for (const [k, user] of shoppers.slice(0, 24).entries()) {
        for (let visit = 0; visit < 1 + (k % 2); visit++) {
          const list = await serve('home', `userId=${user}`);
          const v = tally.get(list.variant!) ?? {
            users: new Set(),
            lists: 0,
            clicks: 0,
            buys: 0,
            revenue: 0,
          };
          tally.set(list.variant!, v);
          v.users.add(user);
          v.lists++;
          // Clicks on the first (k % 3) items; the first clicked item is bought, 2 of them at a set price.
          const clicked = list.items.slice(0, k % 3);
          for (const [p, item] of clicked.entries())
            events.push({
              userId: user,
              itemId: item.id,
              type: 'view',
              recommId: list.recommId,
              position: p + 1,
              eventId: `c-${++n}`,
            });
          v.clicks += clicked.length;
          if (clicked.length > 0) {
            const price = k % 4 === 0 ? 7.5 : undefined;
            events.push({
              userId: user,
              itemId: clicked[0].id,
              type: 'purchase',
              value: 2,
              recommId: list.recommId,
              eventId: `b-${++n}`,
              ...(price !== undefined ? { price } : {}),
            });
            v.buys++;
            v.revenue += 2 * (price ?? prices.get(clicked[0].id) ?? 0);
          }
        }
      }
      const first = await send(events);
      expect(first).toEqual({ accepted: events.length, duplicates: 0, unknownRecommIds: 0 });
      // Sent again: every event is a duplicate and nothing counts twice; an unknown recommId counts nowhere.
      expect((await send(events)).duplicates).toBe(events.length);
      const stray = await send([
        { userId: shoppers[0], itemId: [...prices.keys()][0], type: 'view', recommId: 'no-such-list' },
      ]);
      expect(stray.unknownRecommIds).toBe(1);

      const r = await results('counts');
      expect(r.variants.map((v) => v.id)).toEqual(['engine', 'popular']);
      for (const v of r.variants) {
        const want = tally.get(v.id) ?? { users: new Set(), lists: 0, clicks: 0, buys: 0, revenue: 0 };
        expect({ users: v.users, lists: v.lists, clicks: v.clicks, conversions: v.conversions }).toEqual({
          users: want.users.size,
          lists: want.lists,
          clicks: want.clicks,
          conversions: want.buys,
        });
        expect(v.revenue).toBeCloseTo(want.revenue, 6);
        expect(v.ctr).toBeCloseTo(want.clicks / want.lists, 12);
        expect(v.ctrInterval[0]).toBeLessThanOrEqual(v.ctr);
        expect(v.ctrInterval[1]).toBeGreaterThanOrEqual(v.ctr);
      }
      const [c, p] = r.variants;
      expect(c.pValue).toBeUndefined();
      expect(p.pValue).toBeGreaterThan(0);
      expect(p.pValue).toBeLessThanOrEqual(1);
      if (c.ctr > 0) expect(p.lift).toBeCloseTo(p.ctr / c.ctr - 1, 12);
      // The series by day adds up to the totals.
      for (const v of r.variants)
        expect(r.series.filter((s) => s.variant === v.id).reduce((a, s) => a + s.lists, 0)).toBe(v.lists);
      // Clicks per placement reach Prometheus (stored ones only: the re-sent batch added nothing).
      const metrics = (await request(t.server).get('/metrics')).text;
      const line = metrics.split('\n').find((l) => l.startsWith('aisle_clicks_total{source="home"}'));
      const clicks = [...tally.values()].reduce((a, v) => a + v.clicks, 0);
      expect(line).toBe(`aisle_clicks_total{source="home"} ${clicks}`);

      // Erasing a user erases their lists: they leave the experiment's counts.
      const gone = shoppers[1];
      const before = r.variants.reduce((a, v) => a + v.lists, 0);
      expect((await request(t.server).delete(`/v1/users/${gone}`)).status).toBe(204);
      const after = await results('counts');
      expect(after.variants.reduce((a, v) => a + v.lists, 0)).toBe(before - 2);
      expect(after.variants.reduce((a, v) => a + v.users, 0)).toBe(24 - 1);
    });

    it('stops: lists are served outside the experiment again, results stay, a second stop is a 409', async () => {
      const stopped = await request(t.server).post('/v1/admin/experiments/counts/stop');
      expect(stopped.status).toBe(200);
      expect(stopped.body.status).toBe('stopped');
      const list = await serve('home', `userId=${shoppers[2]}`);
      expect(list.variant).toBeUndefined();
      expect(list.experiment).toBeUndefined();
      expect((await results('counts')).variants[0].lists).toBeGreaterThan(0);
      const again = await request(t.server).post('/v1/admin/experiments/counts/stop');
      expect(again.status).toBe(409);
      expect(again.headers['content-type']).toMatch(/application\/problem\+json/);
    });

    it("promotes a variant: its rules become the placement's, the experiment stops", async () => {
      const rules = [{ id: 'cheap', action: 'filter', match: { price: { $gt: 3 } } }];
      expect(
        (
          await create({
            id: 'cheap-only',
            placement: 'home',
            mode: 'ab',
            variants: [{ id: 'as-is' }, { id: 'cheap', rules }],
          })
        ).status,
      ).toBe(201);
      const before = (await request(t.server).get('/v1/admin/placements/home')).body as { revision: number };
      const promoted = await request(t.server).post('/v1/admin/experiments/cheap-only/promote/cheap');
      expect(promoted.status).toBe(200);
      expect(promoted.body).toMatchObject({ status: 'stopped', promotedVariant: 'cheap' });
      const placement = (await request(t.server).get('/v1/admin/placements/home')).body as {
        revision: number;
        rules: unknown[];
        kind: string;
      };
      expect(placement).toMatchObject({ revision: before.revision + 1, kind: 'for-you', rules });
      const list = await serve('home', `userId=${shoppers[3]}`);
      expect(list.variant).toBeUndefined();
      expect(list.items.length).toBeGreaterThan(0);
      for (const id of ids(list)) expect(prices.get(id)!).toBeLessThanOrEqual(3);
      expect((await request(t.server).post('/v1/admin/experiments/cheap-only/promote/as-is')).status).toBe(
        409,
      );
      expect((await request(t.server).post('/v1/admin/experiments/nope/promote/as-is')).status).toBe(404);
    });
  });

  describe('interleaving', () => {
    const rules = [{ id: 'dear', action: 'filter', match: { price: { $lt: 2 } } }];

    it("merges both variants' top items in team-draft order and credits clicks to the team", async () => {
      expect((await put('similar-pdp', { kind: 'similar', limit: 8 })).status).toBe(200);
      expect((await put('similar-dear', { kind: 'similar', limit: 8, rules })).status).toBe(200);
      const top = await db().query<Array<{ item_id: string }>>(
        `SELECT item_id FROM events GROUP BY item_id ORDER BY count(*) DESC, item_id LIMIT 1`,
      );
      const item = top[0].item_id;
      const a = ids(await serve('similar-pdp', `itemId=${item}`));
      const b = ids(await serve('similar-dear', `itemId=${item}`));
      expect(a).not.toEqual(b);
      const made = await create({
        id: 'weave',
        placement: 'similar-pdp',
        mode: 'interleave',
        variants: [{ id: 'base' }, { id: 'dear', rules }],
      });
      expect(made.status).toBe(201);

      const firsts = new Set<string>();
      const lists: List[] = [];
      for (let i = 0; i < 12; i++) {
        const list = await serve('similar-pdp', `itemId=${item}&userId=w-${i}`);
        expect(list.experiment).toBe('weave');
        expect(list.strategy).toBe('interleaved');
        expect(list.items).toHaveLength(8);
        expect(isTeamDraft(list.items, a, b, ['base', 'dear'])).toBeUndefined();
        firsts.add(list.items[0].team!);
        lists.push(list);
      }
      // The coin decides who opens: over 12 lists both teams opened (a fair coin fails this 1 time in 2048).
      expect(firsts).toEqual(new Set(['base', 'dear']));

      // Lists 0–4: a click on a `dear` item (wins); 5–6: on a `base` item (losses); 7: one of each (tie).
      const click = (l: List, team: string, k: number) => {
        const it = l.items.find((i) => i.team === team)!;
        return { userId: `w-${k}`, itemId: it.id, type: 'view', recommId: l.recommId };
      };
      await send([
        ...lists.slice(0, 5).map((l, k) => click(l, 'dear', k)),
        ...lists.slice(5, 7).map((l, k) => click(l, 'base', 5 + k)),
        click(lists[7], 'base', 7),
        click(lists[7], 'dear', 7),
      ]);
      const r = await results('weave');
      // Sign test by hand: 5 wins, 2 losses, n = 7: P(X ≤ 2) = (1 + 7 + 21)/128 = 29/128, p = 58/128 = 0.453125.
      expect(r.interleaving).toEqual({ wins: 5, losses: 2, ties: 1, noClicks: 4, pValue: 58 / 128 });
      const byId = new Map(r.variants.map((v) => [v.id, v]));
      expect(byId.get('dear')).toMatchObject({ lists: 12, clicks: 6 });
      expect(byId.get('base')).toMatchObject({ lists: 12, clicks: 3 });
      // The stored list remembers each item's team.
      const stored: Array<{ item_ids: string[]; item_teams: string[] }> = await db().query(
        `SELECT item_ids, item_teams FROM served_lists WHERE recomm_id = $1`,
        [lists[0].recommId],
      );
      expect(stored[0]).toEqual({ item_ids: ids(lists[0]), item_teams: lists[0].items.map((i) => i.team) });
      expect((await request(t.server).post('/v1/admin/experiments/weave/stop')).status).toBe(200);
    });
  });

  describe('bad input', () => {
    const valid = {
      id: 'ok',
      placement: 'home',
      mode: 'ab',
      variants: [{ id: 'a' }, { id: 'b', strategy: 'popular' }],
    };
    it.each([
      [{ ...valid, id: undefined }, 'id'],
      [{ ...valid, mode: 'bandit' }, 'mode'],
      [{ ...valid, variants: [{ id: 'a' }] }, 'variants'],
      [{ ...valid, mode: 'interleave', variants: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] }, 'variants'],
      [{ ...valid, variants: [{ id: 'a' }, { id: 'a' }] }, 'variants[1].id'],
      [{ ...valid, variants: [{ id: 'a' }, { id: 'b', weight: -1 }] }, 'variants[1].weight'],
      [
        { ...valid, variants: [{ id: 'a' }, { id: 'b', rules: [{ action: 'explode' }] }] },
        'variants[1].rules[0].action',
      ],
      [
        { ...valid, variants: [{ id: 'a', strategy: 'popular', modelVersion: 'v1' }, { id: 'b' }] },
        'variants[0].modelVersion',
      ],
      [
        { ...valid, variants: [{ id: 'a', modelVersion: 'never-trained' }, { id: 'b' }] },
        'variants[0].modelVersion',
      ],
      [{ ...valid, placement: 'no-such-placement' }, 'placement'],
      [{ ...valid, endAt: '2001-01-01T00:00:00Z' }, 'endAt'],
      [{ ...valid, surprise: true }, 'surprise'],
    ])('%j → 400 naming %s, nothing stored', async (body, field) => {
      const res = await create(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect((res.body.errors as Array<{ path: string }>).map((e) => e.path)).toContain(field);
      expect((await request(t.server).get('/v1/admin/experiments/ok')).status).toBe(404);
    });

    it('a taken id or a placement already under an experiment is a 409', async () => {
      expect((await create({ ...valid, id: 'live-1' })).status).toBe(201);
      expect((await create({ ...valid, id: 'live-2' })).status).toBe(409);
      expect((await create({ ...valid, id: 'live-1', placement: 'similar-pdp' })).status).toBe(409);
      expect((await request(t.server).post('/v1/admin/experiments/live-1/stop')).status).toBe(200);
      const listed = (await request(t.server).get('/v1/admin/experiments')).body as {
        experiments: Array<{ id: string }>;
      };
      expect(listed.experiments.map((e) => e.id)).toContain('live-1');
      expect(listed.experiments.map((e) => e.id)).not.toContain('live-2');
    });
  });

  describe('a variant pinned to a model version', () => {
    /** A stored version with its own random projection: its neighbourhoods differ from any other's. */
    const storeVersion = async (version: string, seed: number) => {
      const { encoderId, dimension } = await t.app.get(EmbeddingsService).catalogVectors();
      const rand = mulberry32(seed);
      const w = new Float32Array(dimension * dimension).map(() => rand() - 0.5);
      const model = new ProjectionModel({ inputDim: dimension, dim: dimension }, w);
      await t.app.get(ModelVersionsRepository).insert({
        version,
        encoderId,
        status: 'candidate',
        metrics: {},
        params: {},
        weights: model.toBuffer(),
      });
    };

    it('keeps its weights when another version is activated, and pruning keeps them while it runs', async () => {
      await storeVersion('v-old', 1);
      await storeVersion('v-new', 2);
      expect((await request(t.server).post('/v1/admin/models/v-old/activate')).status).toBe(200);
      expect((await put('pdp', { kind: 'similar', limit: 8 })).status).toBe(200);
      expect(
        (
          await create({
            id: 'pinned',
            placement: 'pdp',
            mode: 'ab',
            variants: [{ id: 'active' }, { id: 'old', modelVersion: 'v-old' }],
          })
        ).status,
      ).toBe(201);
      const item = [...prices.keys()].sort()[5];
      const byVariant = new Map<string, { user: string; list: List }>();
      for (let i = 0; byVariant.size < 2 && i < 100; i++) {
        const list = await serve('pdp', `itemId=${item}&userId=p-${i}`);
        if (!byVariant.has(list.variant!)) byVariant.set(list.variant!, { user: `p-${i}`, list });
      }
      const old = byVariant.get('old')!;
      expect(old.list.modelVersion).toBe('v-old');
      expect(byVariant.get('active')!.list.modelVersion).toBe('v-old');

      // The nightly fine-tune activates a newer version: the pinned variant still ranks with v-old.
      expect((await request(t.server).post('/v1/admin/models/v-new/activate')).status).toBe(200);
      const active = await serve('pdp', `itemId=${item}&userId=${byVariant.get('active')!.user}`);
      expect(active.modelVersion).toBe('v-new');
      const still = await serve('pdp', `itemId=${item}&userId=${old.user}`);
      expect(still.modelVersion).toBe('v-old');
      expect(ids(still)).toEqual(ids(old.list));
      expect(ids(active)).not.toEqual(ids(old.list));

      // Pruning to no kept versions spares the active one and the one a live experiment serves.
      const weights = async (v: string) =>
        (
          await db().query<Array<{ has: boolean }>>(
            `SELECT weights IS NOT NULL AS has FROM model_versions WHERE version = $1`,
            [v],
          )
        )[0].has;
      await t.app.get(ModelVersionsRepository).prune(0);
      expect(await weights('v-old')).toBe(true);
      expect((await request(t.server).post('/v1/admin/experiments/pinned/stop')).status).toBe(200);
      await t.app.get(ModelVersionsRepository).prune(0);
      expect(await weights('v-old')).toBe(false);
      expect(await weights('v-new')).toBe(true);
    });
  });
});
