import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import request from 'supertest';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config/config.schema';
import { COPURCHASE, CopurchaseJob } from '../src/copurchase/copurchase.job';
import { CopurchaseRepository } from '../src/copurchase/copurchase.repository';
import {
  buildItemKnn,
  DEFAULT_BUYERS,
  DEFAULT_KNN_NEIGHBORS,
  type ItemKnnModel,
} from '../src/ranking/item-knn';
import { buildPurchaseMatrix } from '../src/ranking/purchase-matrix';
import { ImportService } from '../src/import/import.service';
import { JobsService } from '../src/jobs/jobs.service';
import { loadOnlineRetail } from '../src/online-retail/online-retail.reader';
import type { Purchase } from '../src/online-retail/online-retail.types';
import { PurchaseSignals } from '../src/ranking/purchase-signals';
import { PurchaseSignalsService } from '../src/recommendations/purchase-signals.service';
import { listenApp, type RunningApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';

const SLICE = path.join(__dirname, 'fixtures', 'online-retail-slice.csv');
/** The slice is one trading day (2010-12-01, 08:26–16:58 UTC): noon splits it roughly in half. */
const NOON = new Date('2010-12-01T12:00:00Z');
const EVENING = new Date('2010-12-02T00:00:00Z');
/** An item of the slice deleted before the job runs: it must vanish as an item and as a neighbour. */
const DELETED = '22752'; // SET 7 BABUSHKA NESTING BOXES, bought by several customers
const BASE_ENV = {
  LOG_LEVEL: 'silent',
  JOBS_POLL_MS: '100',
  STATS_REFRESH_MS: '0',
  REINDEX_DEBOUNCE_MS: '0',
  COPURCHASE_DEBOUNCE_MS: '0',
  SYNC_INTERVAL_MS: '200',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

type Table = Map<string, Array<{ id: string; sim: number }>>;

/** The neighbours table as PostgreSQL holds it, lists in rank order. */
async function readTable(pg: Client): Promise<Table> {
  const rows = await pg.query<{ item_id: string; rank: number; neighbour_id: string; similarity: number }>(
    `SELECT item_id, rank, neighbour_id, similarity FROM item_neighbours ORDER BY item_id, rank`,
  );
  const table: Table = new Map();
  for (const r of rows.rows) {
    const list = table.get(r.item_id) ?? [];
    expect(r.rank).toBe(list.length + 1);
    list.push({ id: r.neighbour_id, sim: r.similarity });
    table.set(r.item_id, list);
  }
  return table;
}

/**
 * The same definition computed here, straight from the CSV, without the database or the job (with the default
 * buyer damping the app runs with).
 */
function expectedFromFile(
  purchases: readonly Purchase[],
  asOf: Date,
  deleted: ReadonlySet<string>,
): ItemKnnModel {
  return buildItemKnn(
    buildPurchaseMatrix(purchases.filter((p) => p.timestamp < asOf && !deleted.has(p.itemId))),
    DEFAULT_KNN_NEIGHBORS,
    DEFAULT_BUYERS,
  );
}

function expectSameNeighbours(table: Table, knn: ItemKnnModel): void {
  let compared = 0;
  knn.itemIds.forEach((id, j) => {
    const want = [...knn.neighbors.subarray(knn.offsets[j], knn.offsets[j + 1])].map((i) => knn.itemIds[i]);
    const got = table.get(id) ?? [];
    expect({ id, neighbours: got.map((n) => n.id) }).toEqual({ id, neighbours: want });
    got.forEach((n, k) => {
      // Stored as real: float32 keeps ~7 significant digits.
      expect(Math.abs(n.sim - knn.similarities[knn.offsets[j] + k])).toBeLessThan(1e-6);
    });
    compared += got.length;
  });
  expect([...table.values()].reduce((s, l) => s + l.length, 0)).toBe(compared);
}

describe('co-purchase neighbours: job, table, service (real PostgreSQL, Online Retail slice)', () => {
  let db: TestDatabase;
  let pg: Client;
  let purchases: Purchase[];
  const dirs: string[] = [];
  const apps: RunningApp[] = [];
  const dataDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-copurchase-'));
    dirs.push(d);
    return d;
  };
  // Servers share one data directory, as restarts of one installation do (the encoder folder is built once).
  let serverDir: string | undefined;
  const start = async (env: Record<string, string> = {}) => {
    serverDir ??= dataDir();
    const app = await listenApp(db.url, serverDir, { ...BASE_ENV, ...env });
    apps.push(app);
    return app;
  };
  const stop = async (app: RunningApp) => {
    apps.splice(apps.indexOf(app), 1);
    await app.app.close();
  };
  /** The application as a command runs it (no job polling, no change feed), on the test database. */
  const commandContext = (): Promise<INestApplicationContext> =>
    NestFactory.createApplicationContext(
      AppModule.forRoot({
        config: loadConfig({ ...BASE_ENV, DATA_DIR: dataDir(), DATABASE_URL: db.url }),
        databaseUrl: db.url,
        longRunningServer: false,
      }),
      { logger: false },
    );
  const build = async () =>
    (await pg.query<{ generation: string; as_of: Date }>(`SELECT generation, as_of FROM copurchase_build`))
      .rows[0];

  beforeAll(async () => {
    db = await createTestDatabase();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    purchases = (await loadOnlineRetail(SLICE)).purchases;
  });

  afterAll(async () => {
    for (const a of [...apps]) await a.app.close();
    await pg?.end();
    await db?.drop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('on an empty table, start-up queues the job instead of computing, serves at once, then loads the result', async () => {
    // The history is there (imported by a command, which runs no jobs) but nothing was computed yet.
    const cmd = await commandContext();
    try {
      await cmd.get(ImportService).onlineRetail(SLICE);
    } finally {
      await cmd.close();
    }
    expect(await build()).toBeUndefined();
    const app = await start();
    const svc = app.app.get(PurchaseSignalsService);
    // Listening already, without co-purchase (the job needs a worker, a read and a write: seconds, not zero).
    expect(svc.neighboursGeneration()).toBeNull();
    expect(svc.current().neighbourItems).toBe(0);
    expect(svc.current().popular.length).toBeGreaterThan(500);
    const queued = await pg.query<{ kind: string }>(`SELECT kind FROM jobs WHERE kind = $1`, [COPURCHASE]);
    expect(queued.rows).toHaveLength(1);
    await until('the service to load the computation', () =>
      svc.neighboursGeneration() !== null ? true : undefined,
    );
    expect(svc.current().neighbourItems).toBeGreaterThan(500);
    await stop(app);
  });

  it('the job writes exactly the neighbours buildItemKnn computes from the file: as of a time, live items only', async () => {
    const app = await start();
    expect((await request(app.url).delete(`/v1/items/${DELETED}`)).status).toBe(204);
    const result = await app.app.get(CopurchaseJob).runHere(NOON);
    const want = expectedFromFile(purchases, NOON, new Set([DELETED]));
    const table = await readTable(pg);
    expect(table.size).toBeGreaterThan(200);
    expect(table.has(DELETED)).toBe(false);
    for (const list of table.values()) expect(list.map((n) => n.id)).not.toContain(DELETED);
    expectSameNeighbours(table, want);
    expect(result).toMatchObject({ asOf: NOON.toISOString(), items: table.size });
    expect((await build()).as_of.toISOString()).toBe(NOON.toISOString());
    // Sanity of the comparison itself: the evening's neighbours differ from noon's.
    const evening = expectedFromFile(purchases, EVENING, new Set([DELETED]));
    expect(evening.neighbors.length).toBeGreaterThan(want.neighbors.length);
    await stop(app);
  });

  it('replaces the table atomically: a write that fails half-way leaves the previous computation', async () => {
    const before = await readTable(pg);
    const generation = (await build()).generation;
    expect(before.size).toBeGreaterThan(0);
    const ctx = await commandContext();
    try {
      // 2,500 rows written 1,000 at a time; the last row names a neighbour id too long for the column, so the
      // third INSERT fails after the DELETE and two INSERTs already ran in the transaction.
      const itemIds = Array.from({ length: 26 }, (_, i) => `item-${i}`);
      itemIds[25] = 'x'.repeat(200);
      const offsets = Int32Array.from({ length: 27 }, (_, i) => Math.min(i * 100, 2500));
      const neighbors = Int32Array.from({ length: 2500 }, (_, p) => (p === 2499 ? 25 : (p + 1) % 25));
      let progressed = 0;
      await expect(
        ctx
          .get(CopurchaseRepository)
          .replace(
            { itemIds, offsets, neighbors, similarities: new Float64Array(2500).fill(0.5) },
            { asOf: new Date(), jobId: null },
            (done) => (progressed = done),
            1000,
          ),
      ).rejects.toThrow(/too long/);
      expect(progressed).toBe(2000);
      expect(await readTable(pg)).toEqual(before);
      expect((await build()).generation).toBe(generation);
      // The same data without the bad id is accepted, so it was that row, not the shape, that failed.
      itemIds[25] = 'item-25';
      const written = await ctx
        .get(CopurchaseRepository)
        .replace(
          { itemIds, offsets, neighbors, similarities: new Float64Array(2500).fill(0.5) },
          { asOf: new Date(), jobId: null },
          undefined,
          1000,
        );
      expect(written).toMatchObject({
        generation: String(Number(generation) + 1),
        items: 25,
        neighbours: 2500,
      });
      expect((await readTable(pg)).get('item-0')).toHaveLength(100);
    } finally {
      await ctx.close();
    }
  });

  it('a server loads the stored neighbours at start-up and picks up a computation made by another process', async () => {
    const runner = await start();
    await runner.app.get(CopurchaseJob).runHere(NOON);
    await stop(runner);
    const app = await start();
    const svc = app.app.get(PurchaseSignalsService);
    const noon = expectedFromFile(purchases, NOON, new Set([DELETED]));
    // Loaded during start-up: already there when the app is listening.
    expect(svc.neighboursGeneration()).toBe((await build()).generation);
    const model = svc.current();
    noon.itemIds.forEach((id, j) => {
      const { ids, sims } = model.neighboursOf(id);
      expect(ids).toEqual(
        [...noon.neighbors.subarray(noon.offsets[j], noon.offsets[j + 1])].map((i) => noon.itemIds[i]),
      );
      expect(sims).toBeInstanceOf(Float32Array);
      if (sims.length > 0) expect(sims[0]).toBeCloseTo(noon.similarities[noon.offsets[j]], 6);
      // The generator the recommendations use today yields the same pairs.
      expect([...model.neighbours(id)].map(([n]) => n)).toEqual([...ids]);
    });

    // Another process (a command-line run) computes as of the evening; the server adopts it on its own.
    const cli = await commandContext();
    let generation: string;
    try {
      generation = (await cli.get(CopurchaseJob).runHere(EVENING)).generation;
    } finally {
      await cli.close();
    }
    await until('the server to adopt the newer computation', () =>
      svc.neighboursGeneration() === generation ? true : undefined,
    );
    const evening = expectedFromFile(purchases, EVENING, new Set([DELETED]));
    // Operators see which computation each replica serves.
    const stats = await request(app.url).get('/v1/admin/stats');
    expect(stats.body.copurchase).toEqual({
      generation,
      items: evening.itemIds.filter((_, j) => evening.offsets[j + 1] > evening.offsets[j]).length,
      transitionItems: svc.current().transitionItems,
    });
    const changed = evening.itemIds.filter((id, j) => {
      const want = [...evening.neighbors.subarray(evening.offsets[j], evening.offsets[j + 1])].map(
        (i) => evening.itemIds[i],
      );
      expect([...svc.current().neighboursOf(id).ids]).toEqual(want);
      return model.neighboursOf(id).ids.join() !== want.join();
    });
    expect(changed.length).toBeGreaterThan(100);
    await stop(app);
  });

  it('new purchases lead to a rebuilt table (debounced) and the server serves the new neighbours; the admin endpoint queues one; a deletion triggers one', async () => {
    // Triggered rebuilds busy at most half the time: each waits as long as the last run took.
    const app = await start({ COPURCHASE_DEBOUNCE_MS: '300', COPURCHASE_MAX_BUSY_SHARE: '0.5' });
    const svc = app.app.get(PurchaseSignalsService);
    const generation = (await build()).generation;
    const put = await request(app.url)
      .put('/v1/items')
      .send({
        items: [
          { id: 'new-a', title: 'Enamel mug, red' },
          { id: 'new-b', title: 'Enamel mug, blue' },
        ],
      });
    expect(put.status).toBe(200);
    expect(svc.current().neighboursOf('new-a').ids).toEqual([]);
    const at = new Date().toISOString();
    const events = await request(app.url)
      .post('/v1/events')
      .send({
        events: ['new-a', 'new-b'].map((itemId) => ({
          userId: 'shopper-1',
          itemId,
          type: 'purchase',
          timestamp: at,
        })),
      });
    expect(events.status).toBe(202);
    const rebuilt = await until('a rebuild after the purchases', async () => {
      const b = await build();
      return b.generation !== generation ? b : undefined;
    });
    expect(rebuilt.as_of.getTime()).toBeGreaterThan(new Date(at).getTime());
    const table = await readTable(pg);
    expect(table.get('new-a')).toEqual([{ id: 'new-b', sim: 1 }]);
    // One job for the burst (two items in one batch), not one per event.
    const jobs = await pg.query(`SELECT id FROM jobs WHERE kind = $1 AND created_at >= $2`, [COPURCHASE, at]);
    expect(jobs.rows).toHaveLength(1);
    await until('the server to serve them', () =>
      svc.current().neighboursOf('new-a').ids[0] === 'new-b' ? true : undefined,
    );

    // The admin endpoint queues the same job; the server runs it and reports its result.
    const queued = await request(app.url).post('/v1/admin/copurchase');
    expect(queued.status).toBe(202);
    const finished = await until('the queued job', async () => {
      const job = await request(app.url).get(`/v1/admin/jobs/${queued.body.jobId as string}`);
      const body = job.body as { status: string };
      return body.status === 'succeeded' || body.status === 'failed' ? body : undefined;
    });
    expect(finished).toMatchObject({
      kind: COPURCHASE,
      status: 'succeeded',
      result: { generation: String(Number(rebuilt.generation) + 1) },
    });
    // Computed in a child process of the server (COPURCHASE_PROCESS=child), whose memory leaves with it.
    expect((finished as unknown as { result: { pid: number } }).result.pid).not.toBe(process.pid);
    expect(svc.current().neighboursOf('new-a').ids[0]).toBe('new-b');

    // Deleting an item takes it out of the matrix on the next (debounced) rebuild.
    const beforeDelete = (await build()).generation;
    expect((await request(app.url).delete('/v1/items/new-b')).status).toBe(204);
    await until('a rebuild after the deletion', async () =>
      (await build()).generation !== beforeDelete ? true : undefined,
    );
    // A rebuild that events or deletions trigger keeps the job to half the time here: it was queued no sooner than
    // the previous run's length after that run ended (the debounce alone: 300 ms).
    const runs = await pg.query<{ created_at: Date; started_at: Date; finished_at: Date }>(
      `SELECT created_at, started_at, finished_at FROM jobs WHERE kind = $1 ORDER BY created_at DESC LIMIT 2`,
      [COPURCHASE],
    );
    const [triggered, previous] = runs.rows; // the deletion's, and the admin endpoint's before it
    const took = previous.finished_at.getTime() - previous.started_at.getTime();
    expect(took).toBeGreaterThan(500);
    expect(triggered.created_at.getTime() - previous.finished_at.getTime()).toBeGreaterThanOrEqual(took);
    const after = await readTable(pg);
    expect(after.has('new-b')).toBe(false);
    expect(after.has('new-a')).toBe(false);
    await until('the server to drop them', () =>
      svc.current().neighboursOf('new-a').ids.length === 0 ? true : undefined,
    );
    await stop(app);
  });

  it('a queued rebuild that a later-started computation already answers is skipped; one that it does not answer runs', async () => {
    const ctx = await commandContext();
    const job = ctx.get(CopurchaseJob);
    const jobs = ctx.get(JobsService);
    const run = async (id: string) => {
      const done = await jobs.runNext(id);
      expect(done?.status).toBe('succeeded');
      return done!.result!;
    };
    // A writer whose asOf lies after every stored event (as the fine-tune's first step, as of its start).
    const soon = () => new Date(Date.now() + 60_000);
    try {
      // (a) Queued (as `aisle import` queues it), then a computation started after it: nothing left to do.
      const queued = await job.enqueue();
      await sleep(20);
      const writer = await job.runHere(soon());
      const writerJob = (await pg.query<{ id: string }>(`SELECT job_id AS id FROM copurchase_build`)).rows[0];
      expect(await run(queued.id)).toEqual({
        skipped: true,
        coveredBy: writerJob.id,
        asOf: writer.asOf,
        generation: writer.generation,
      });
      expect((await build()).generation).toBe(writer.generation);

      // (b) Queued after the stored computation started: it may have missed what queued this one, so it runs.
      const after = await job.enqueue();
      const ran = await run(after.id);
      expect(ran.skipped).toBeUndefined();
      expect(Number(ran.generation)).toBe(Number(writer.generation) + 1);

      // (c) Queued before, but an event is stamped at or after the computation's asOf: it runs.
      const third = await job.enqueue();
      await sleep(20);
      const second = await job.runHere(soon());
      const late = await pg.query<{ id: string }>(
        `INSERT INTO events (user_id, item_id, type, occurred_at)
         SELECT user_id, item_id, type, $1 FROM events WHERE type = 'purchase' LIMIT 1 RETURNING id`,
        [new Date(Date.parse(second.asOf) + 1000)],
      );
      try {
        const ranToo = await run(third.id);
        expect(ranToo.skipped).toBeUndefined();
        expect(Number(ranToo.generation)).toBe(Number(second.generation) + 1);
      } finally {
        await pg.query(`DELETE FROM events WHERE id = $1`, [late.rows[0].id]);
      }
    } finally {
      await ctx.close();
    }
  });

  it('the eval path: the job as of the cutoff, run in-process, gives the engine the neighbours it computed in memory before', async () => {
    const cutoff = new Date('2010-12-01T14:00:00Z');
    const ctx: INestApplicationContext = await commandContext();
    try {
      // What eval does after loading the pre-cutoff events.
      await ctx.get(CopurchaseJob).runHere(cutoff);
      const model = await ctx.get(PurchaseSignalsService).refresh(cutoff);
      // What PurchaseSignalsService.refresh(cutoff) used to compute in memory: purchase pairs before the cutoff.
      const rows = await pg.query<{ user_id: string; item_id: string; rows: string; last_at: Date }>(
        `SELECT e.user_id, e.item_id, count(*)::bigint AS rows, max(e.occurred_at) AS last_at
         FROM events e JOIN items i ON i.id = e.item_id AND i.deleted_at IS NULL
         WHERE e.type = 'purchase' AND e.occurred_at < $1 GROUP BY e.user_id, e.item_id`,
        [cutoff],
      );
      const before = PurchaseSignals.fromPairs(
        rows.rows.map((r) => ({
          userId: r.user_id,
          itemId: r.item_id,
          rows: Number(r.rows),
          lastAt: r.last_at,
        })),
        cutoff,
      );
      expect(model.popular).toEqual(before.popular);
      expect(model.trending).toEqual(before.trending);
      expect(model.neighbourItems).toBe(before.neighbourItems);
      expect(model.neighbourItems).toBeGreaterThan(200);
      for (const id of before.popular) {
        expect(model.buyersOf(id)).toBe(before.buyersOf(id));
        expect([...model.neighboursOf(id).ids]).toEqual([...before.neighboursOf(id).ids]);
        expect(model.neighboursOf(id).sims).toEqual(before.neighboursOf(id).sims);
      }
    } finally {
      await ctx.close();
    }
  });

  it('builds with the configured buyer weighting: damping, and buyers over the limit left out and counted', async () => {
    const live = purchases.filter((p) => p.timestamp < NOON && p.itemId !== DELETED);
    const matrix = buildPurchaseMatrix(live);
    const sizes = [...matrix.userItems.values()].map((items) => items.length).sort((a, b) => b - a);
    // Just under the biggest buyer: at least that one is left out.
    const buyers = { damping: 0.5, maxItems: sizes[0] - 1 };
    const app = await start({
      COPURCHASE_BUYER_DAMPING: String(buyers.damping),
      COPURCHASE_MAX_BUYER_ITEMS: String(buyers.maxItems),
    });
    const result = await app.app.get(CopurchaseJob).runHere(NOON);
    expect(result.buyers).toEqual(buyers);
    expect(result.buyersLeftOut).toBe(sizes.filter((n) => n > buyers.maxItems).length);
    expect(result.buyersLeftOut).toBeGreaterThan(0);
    // No account here orders on the scale MAX_TRANSITION_PAIRS_PER_SEQUENCE is for: every sequence counts.
    expect(result.transitionSequencesLeftOut).toBe(0);
    const want = buildItemKnn(matrix, DEFAULT_KNN_NEIGHBORS, buyers);
    expectSameNeighbours(await readTable(pg), want);
    // Sanity of the comparison: the defaults give other neighbours on this slice.
    const byDefault = buildItemKnn(matrix, DEFAULT_KNN_NEIGHBORS, DEFAULT_BUYERS);
    expect([...byDefault.similarities]).not.toEqual([...want.similarities]);
    await stop(app);
  });

  it('loads stored lists of more items than one fetch of the cursor reads, every list whole and in rank order', async () => {
    // 2,600 items: three fetches of 1,000 (ITEMS_PER_FETCH), the last one short.
    const n = 2600;
    const itemIds = Array.from({ length: n }, (_, i) => `load-${String(i).padStart(4, '0')}`);
    const csr = (width: (i: number) => number, step: number) => {
      const offsets = new Int32Array(n + 1);
      for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + width(i);
      const neighbors = new Int32Array(offsets[n]);
      const similarities = new Float64Array(offsets[n]);
      for (let i = 0; i < n; i++)
        for (let r = 0; r < width(i); r++) {
          neighbors[offsets[i] + r] = (i + step * (r + 1)) % n;
          similarities[offsets[i] + r] = 1 / (r + 2);
        }
      return { itemIds, offsets, neighbors, similarities };
    };
    // Items with no list in between (width 0) are left out of the table, as the job writes them.
    const lists = csr((i) => (i % 7 === 3 ? 0 : 1 + (i % 5)), 1);
    const transitions = csr((i) => (i % 2 === 0 ? 2 : 0), 37);
    const ctx = await commandContext();
    try {
      const repo = ctx.get(CopurchaseRepository);
      await repo.replace(lists, { asOf: new Date(), jobId: null, transitions });
      const loaded = await repo.load();
      const expectLists = (got: NonNullable<typeof loaded>['lists'], want: typeof lists) => {
        for (let i = 0; i < n; i++) {
          const range = [want.offsets[i], want.offsets[i + 1]] as const;
          const list = got.of(itemIds[i]);
          expect(list.ids).toEqual(Array.from(want.neighbors.subarray(...range), (k) => itemIds[k]));
          expect(Array.from(list.sims)).toEqual(
            Array.from(want.similarities.subarray(...range), Math.fround),
          );
        }
      };
      expectLists(loaded!.lists, lists);
      expectLists(loaded!.transitions, transitions);
      expect(loaded!.build.items).toBe(itemIds.filter((_, i) => i % 7 !== 3).length);
    } finally {
      await ctx.close();
    }
  });
});
