import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { ensureCliBuilt, spawnCli, type CliRun } from './support/cli';
import { createTestDatabase, type TestDatabase } from './support/database';
import { waitForJob } from './support/jobs';

/**
 * One truth across processes: two `aisle serve` processes and the command line on one database and one
 * DATA_DIR. Whatever one process writes (catalog deletes, stock, events, erasures, a published index) must
 * reach the other server's lists within about a second. The safety-net poll (SYNC_INTERVAL_MS) is set far
 * beyond the test's waits, so only the change feed can make these pass.
 */

const SLICE = path.join(__dirname, 'fixtures', 'online-retail-slice.csv');
/** How long a change may take to reach the other server here (the promise is ~1 s; the machine is shared). */
const REACH_MS = 3000;

let db: TestDatabase;
let dataDir: string;
let pg: Client;
const servers: Array<{ run: CliRun; url: string }> = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    REINDEX_DEBOUNCE_MS: '0',
    COPURCHASE_DEBOUNCE_MS: '0',
    JOBS_POLL_MS: '100',
    SYNC_INTERVAL_MS: '3600000',
    STATS_REFRESH_MS: '3600000',
    // A small, quick fine-tune whose gate accepts any candidate: the tests ask who learns of an activation.
    FINETUNE_MIN_GAIN: '-1',
    FINETUNE_EPOCHS: '2',
    FINETUNE_DIM: '32',
    FINETUNE_VALIDATION_DAYS: '1',
    ...extra,
  };
}

async function startServer(extra: Record<string, string> = {}): Promise<string> {
  const port = await freePort();
  const run = spawnCli(['serve'], env({ PORT: String(port), ...extra }));
  const url = `http://127.0.0.1:${port}`;
  servers.push({ run, url });
  for (let i = 0; i < 1200; i++) {
    if (run.child.exitCode !== null) {
      const out = await run.done;
      throw new Error(`server exited with ${out.code}:\n${out.stderr}`);
    }
    const ok = await fetch(`${url}/health/live`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return url;
    await sleep(100);
  }
  throw new Error(`server on ${url} did not start`);
}

async function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const out = await spawnCli(args, env()).done;
  return { code: out.code, stderr: out.stderr };
}

type Kind = 'personalised' | 'session' | 'text' | 'similar' | 'popular';
interface List {
  ids: string[];
  strategy: string;
}

const ids = (body: { items: Array<{ id: string }> }) => body.items.map((i) => i.id);

/** The five list kinds, as one server answers them for a user, a session, a text and an anchor item. */
async function lists(
  url: string,
  q: { user: string; session: string[]; text: string; anchor: string },
): Promise<Record<Kind, List>> {
  const get = async (path: string) => {
    const res = await request(url).get(path);
    expect(res.status).toBe(200);
    return { ids: ids(res.body), strategy: res.body.strategy as string };
  };
  const post = async (body: Record<string, unknown>) => {
    const res = await request(url).post('/v1/recommendations').send(body);
    expect(res.status).toBe(200);
    return { ids: ids(res.body), strategy: res.body.strategy as string };
  };
  return {
    personalised: await get(`/v1/users/${q.user}/recommendations?limit=10`),
    session: await post({ itemIds: q.session, limit: 10 }),
    text: await post({ text: q.text, limit: 10 }),
    similar: await get(`/v1/items/${q.anchor}/similar?limit=10`),
    popular: await get('/v1/popular?limit=10'),
  };
}

/** Polls until `check` holds, returning when the check that saw it began; fails after `within` ms. */
async function until(what: string, check: () => Promise<boolean>, within = REACH_MS): Promise<number> {
  const started = Date.now();
  for (;;) {
    const checkedAt = Date.now() - started;
    if (checkedAt > within) throw new Error(`${what}: not seen within ${within} ms`);
    // Seen by a check that began in time: a slow answer does not stretch the deadline.
    if (await check()) return checkedAt;
    await sleep(50);
  }
}

async function liveItemCount(): Promise<number> {
  const r = await pg.query<{ n: string }>('SELECT count(*)::bigint AS n FROM items WHERE deleted_at IS NULL');
  return Number(r.rows[0].n);
}

describe('one truth across processes (two servers and the command line on one database)', () => {
  let a: string;
  let b: string;
  const query = { user: '', session: [] as string[], text: 'red retrospot lunch bag', anchor: '85123A' };

  beforeAll(async () => {
    ensureCliBuilt();
    db = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-multi-test-'));
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    // Both start on an empty database: what they hold in memory comes only from what others write later. The
    // README's scale-out recipe: A is the worker, B an API replica that claims no jobs.
    [a, b] = await Promise.all([startServer(), startServer({ JOBS_WORKER: 'false' })]);
  }, 600_000);

  afterAll(async () => {
    for (const s of servers) s.run.child.kill('SIGTERM');
    await Promise.all(servers.map((s) => s.run.done.catch(() => undefined)));
    await pg?.end().catch(() => undefined);
    await db?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('imports from the command line, then a reindex queued through a server indexes every live item, and both serve it', async () => {
    const imported = await cli(['import', '--online-retail', SLICE, '--json']);
    expect(imported.code).toBe(0);
    const live = await liveItemCount();
    expect(live).toBeGreaterThan(500);

    // Queued through the replica, run by the worker.
    const res = await request(b).post('/v1/admin/reindex').send({ full: true });
    expect(res.status).toBe(202);
    const job = await waitForJob(b, res.body.jobId as string, 3000);
    expect(job.status).toBe('succeeded');
    expect((job.result as { index: { size: number } }).index.size).toBe(live);

    // The replica adopts the index the worker published from the feed's announcement.
    for (const url of [a, b]) {
      const ms = await until(`index on ${url}`, async () => {
        const stats = await request(url).get('/v1/admin/stats');
        return stats.body.index?.size === live;
      });
      process.stderr.write(`index adopted by ${url === a ? 'A' : 'B'} ${ms} ms after the job ended\n`);
    }
    for (const url of [a, b]) {
      const r = await request(url).get(`/v1/items/${query.anchor}/similar?limit=10`);
      expect(r.status).toBe(200);
      expect(r.body.items).toHaveLength(10);
    }

    // The user with the widest purchase history, and two of their items as a session.
    const top = await pg.query<{ user_id: string }>(
      `SELECT user_id FROM events WHERE type = 'purchase' GROUP BY user_id
       ORDER BY count(DISTINCT item_id) DESC, user_id LIMIT 1`,
    );
    query.user = top.rows[0].user_id;
    const session = await pg.query<{ item_id: string }>(
      `SELECT DISTINCT item_id FROM events WHERE user_id = $1 AND item_id <> $2 ORDER BY item_id LIMIT 2`,
      [query.user, query.anchor],
    );
    query.session = session.rows.map((r) => r.item_id);
    expect(query.session).toHaveLength(2);
    // Popularity follows the import's purchases on the server that did not write them.
    await until('popular list on B', async () => (await lists(b, query)).popular.ids.length === 10, 10_000);
    // The slice's purchases are years old: both servers count trending as of just after the latest one.
    const standsAt = new Date((await latestPurchase()).getTime() + 1).toISOString();
    for (const url of [a, b])
      await until(`shop clock on ${url}`, async () => (await shopClock(url)) === standsAt, 10_000);
  }, 600_000);

  /** Where a server's shop clock stands (GET /v1/admin/stats), null while it follows the clock. */
  async function shopClock(url: string): Promise<string | null> {
    return ((await request(url).get('/v1/admin/stats')).body as { shopClock: { standsAt: string | null } })
      .shopClock.standsAt;
  }

  /** The latest purchase of a live item, read from the database. */
  async function latestPurchase(): Promise<Date> {
    const r = await pg.query<{ at: Date }>(
      `SELECT max(e.occurred_at) AS at FROM events e JOIN items i ON i.id = e.item_id AND i.deleted_at IS NULL
       WHERE e.type = 'purchase'`,
    );
    return r.rows[0].at;
  }

  /** The first item of every list kind on B (anchors and session items excepted): the ones to take away. */
  async function targets(): Promise<string[]> {
    const before = await lists(b, query);
    for (const kind of Object.keys(before) as Kind[]) expect(before[kind].ids.length).toBeGreaterThan(0);
    expect(before.personalised.strategy).not.toBe('popular-fallback');
    const keep = new Set([query.anchor, ...query.session]);
    return [
      ...new Set(
        Object.values<List>(before)
          .map((l) => l.ids.find((id) => !keep.has(id)))
          .filter((id): id is string => id !== undefined),
      ),
    ];
  }

  async function showsNone(url: string, gone: string[]): Promise<boolean> {
    const now = await lists(url, query);
    return Object.values<List>(now).every((l) => l.ids.every((id) => !gone.includes(id)));
  }

  it('items deleted through server A leave every list kind on server B', async () => {
    const gone = await targets();
    expect(gone.length).toBeGreaterThanOrEqual(3);
    expect(await showsNone(b, gone)).toBe(false);
    for (const id of gone) expect((await request(a).delete(`/v1/items/${id}`)).status).toBe(204);
    const ms = await until('deletes on B', () => showsNone(b, gone));
    process.stderr.write(`deletes of ${gone.length} items reached every list on B in ${ms} ms\n`);
  });

  it('items put out of stock by the command line leave every list kind on server B (and A)', async () => {
    const gone = await targets();
    expect(await showsNone(b, gone)).toBe(false);
    const file = path.join(dataDir, 'out-of-stock.ndjson');
    const records: string[] = [];
    for (const id of gone) {
      const res = await request(a).get(`/v1/items/${id}`);
      expect(res.status).toBe(200);
      // The stored record minus its timestamps (written by the server, not accepted in an import).
      const item: Record<string, unknown> = { ...(res.body as Record<string, unknown>), inStock: false };
      delete item.createdAt;
      delete item.updatedAt;
      records.push(JSON.stringify(item));
    }
    fs.writeFileSync(file, `${records.join('\n')}\n`);
    const imported = await cli(['import', '--items', file, '--json']);
    expect(imported.code).toBe(0);
    const ms = await until('stock on B', () => showsNone(b, gone));
    await until('stock on A', () => showsNone(a, gone));
    process.stderr.write(`stock changes of ${gone.length} items reached every list on B in ${ms} ms\n`);
  });

  it("a user's new events and their erasure through server A reach server B's lists", async () => {
    const user = 'sync-shopper';
    const category = 'Sync Test';
    const only = 'sync-only-item';
    // An item only this user buys: it is popular in its category because of them alone.
    const put = await request(a)
      .put('/v1/items')
      .send({ items: [{ id: only, title: 'A lamp bought by one shopper', category, price: 5 }] });
    expect(put.status).toBe(200);

    const personal = `/v1/users/${user}/recommendations?limit=10`;
    const popularHere = `/v1/popular?limit=10&category=${encodeURIComponent(category)}`;
    // No history yet: B answers (and caches) the fallback list.
    for (let i = 0; i < 2; i++)
      expect((await request(b).get(personal)).body.strategy).toBe('popular-fallback');
    expect(ids((await request(b).get(popularHere)).body)).toEqual([]);

    const ingest = await request(a)
      .post('/v1/events')
      .send({
        events: [...query.session, only].map((itemId) => ({ userId: user, itemId, type: 'purchase' })),
      });
    expect(ingest.status).toBe(202);
    const learnt = await until('new events on B', async () => {
      const r = await request(b).get(personal);
      return r.body.strategy !== 'popular-fallback';
    });
    process.stderr.write(`new events reached B's cached list in ${learnt} ms\n`);
    // Popularity is re-counted a couple of seconds after purchases (a debounce), not per event.
    await until(
      'popularity on B',
      async () => ids((await request(b).get(popularHere)).body)[0] === only,
      10_000,
    );
    expect((await request(b).get(personal)).body.strategy).not.toBe('popular-fallback');
    // Purchases of today, written through A: both servers count back from the clock again.
    for (const url of [a, b])
      await until(`shop clock follows now on ${url}`, async () => (await shopClock(url)) === null, 10_000);

    expect((await request(a).delete(`/v1/users/${user}`)).status).toBe(204);
    const erased = await until('erasure on B', async () => {
      const [p, pop] = await Promise.all([request(b).get(personal), request(b).get(popularHere)]);
      return p.body.strategy === 'popular-fallback' && ids(pop.body).length === 0;
    });
    process.stderr.write(`erasure reached B's personalised and popular lists in ${erased} ms\n`);
    // Those were the only recent purchases: the shop's time stands at the slice's end again, on both.
    const standsAt = new Date((await latestPurchase()).getTime() + 1).toISOString();
    for (const url of [a, b])
      await until(`shop clock back on ${url}`, async () => (await shopClock(url)) === standsAt, 10_000);
  });

  it('a delete written by plain SQL (no Aisle process) reaches both servers', async () => {
    const before = await lists(b, query);
    const victim = before.similar.ids[0];
    await pg.query('UPDATE items SET deleted_at = now(), updated_at = now() WHERE id = $1', [victim]);
    for (const url of [a, b]) await until(`SQL delete on ${url}`, () => showsNone(url, [victim]));
    expect((await request(b).get(`/v1/items/${victim}/similar`)).status).toBe(404);
  });
  it('a model activated by the command line, then rolled back through the API replica, is what both servers serve', async () => {
    // Whichever process runs the job (the command, or worker A when it claims it first), both share these settings.
    const tune = async (): Promise<{ version: string; activated: boolean }> => {
      // As of the day after the slice's purchases, so its day is the validation window (as the fine-tune tests do).
      const out = await spawnCli(['finetune', '--as-of', '2010-12-02T11:00:00Z', '--json'], env()).done;
      expect({ code: out.code, stderr: out.code === 0 ? '' : out.stderr }).toEqual({ code: 0, stderr: '' });
      return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { version: string; activated: boolean };
    };
    const serves = (url: string, version: string) => async () => {
      const models = await request(url).get('/v1/admin/models');
      const similar = await request(url).get(`/v1/items/${query.anchor}/similar?limit=10`);
      return models.body.active === version && similar.body.modelVersion === version;
    };

    const first = await tune();
    expect(first.activated).toBe(true);
    for (const url of [a, b])
      await until(`activation of ${first.version} on ${url}`, serves(url, first.version));
    const second = await tune();
    expect(second.activated).toBe(true);
    expect(second.version).not.toBe(first.version);
    for (const url of [a, b])
      await until(`activation of ${second.version} on ${url}`, serves(url, second.version));

    // The rollback is written through B, the replica that runs no jobs; A follows it, lists and all.
    const rolled = await request(b).post(`/v1/admin/models/${first.version}/activate`);
    expect(rolled.status).toBe(200);
    for (const url of [a, b])
      await until(`rollback to ${first.version} on ${url}`, serves(url, first.version));
    const onA = await request(a).get(`/v1/users/${query.user}/recommendations?limit=10`);
    expect(onA.body.modelVersion).toBe(first.version);
  }, 600_000);
});
