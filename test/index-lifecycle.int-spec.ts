import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import request from 'supertest';
import { ImportService } from '../src/import/import.service';
import { IndexService } from '../src/vector-index/index.service';
import { createTestDatabase, type TestDatabase } from './support/database';
import { ensureCliBuilt, spawnCli as spawnCliIn, type CliRun } from './support/cli';
import { listenApp, type RunningApp } from './support/app';
import { waitForJob } from './support/jobs';

/**
 * The vector index over its life: published to disk, loaded at start-up, rebuilt when the file is damaged,
 * embedding only what changed, surviving a SIGKILL mid-reindex, swapped under live reads. Every app here
 * shares one database and one DATA_DIR, the way a restarted server (or the CLI next to it) does.
 */

const SLICE = path.join(__dirname, 'fixtures', 'online-retail-slice.csv');
const PROBES = ['20725', '85123A', '22383'];
const ENV = { REINDEX_DEBOUNCE_MS: '0', JOBS_POLL_MS: '100', STATS_REFRESH_MS: '0' };

let db: TestDatabase;
let dataDir: string;
let pg: Client;
let running: RunningApp | undefined;

/** The real HTTP app on an existing database and data directory (unlike startTestApp, which makes fresh ones). */
async function startApp(env: Record<string, string> = {}): Promise<RunningApp> {
  running = await listenApp(db.url, dataDir, { ...ENV, ...env });
  return running;
}

async function stopApp(): Promise<void> {
  const r = running;
  running = undefined;
  await r?.app.close();
}

async function reindex(url: string, full: boolean): Promise<Record<string, unknown>> {
  const res = await request(url).post('/v1/admin/reindex').send({ full });
  expect(res.status).toBe(202);
  return waitForJob(url, res.body.jobId as string);
}

async function similarIds(url: string, id: string): Promise<string[]> {
  const res = await request(url).get(`/v1/items/${id}/similar?limit=10`);
  expect(res.status).toBe(200);
  return (res.body.items as Array<{ id: string }>).map((i) => i.id);
}

async function probeAll(url: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const id of PROBES) out[id] = await similarIds(url, id);
  return out;
}

const currentDir = () => fs.readFileSync(path.join(dataDir, 'index', 'CURRENT'), 'utf8').trim();

async function jobRows(
  kind: string,
  since: Date,
): Promise<
  Array<{ id: string; status: string; error: string | null; result: Record<string, unknown> | null }>
> {
  const r = await pg.query<{
    id: string;
    status: string;
    error: string | null;
    result: Record<string, unknown> | null;
  }>(`SELECT id, status, error, result FROM jobs WHERE kind = $1 AND created_at >= $2 ORDER BY created_at`, [
    kind,
    since,
  ]);
  return r.rows;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function spawnCli(args: string[]): CliRun {
  return spawnCliIn(args, { DATABASE_URL: db.url, DATA_DIR: dataDir });
}

describe('vector index lifecycle', () => {
  let good: Record<string, string[]>;

  beforeAll(async () => {
    ensureCliBuilt();
    db = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-index-test-'));
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    const { app, url } = await startApp();
    await app.get(ImportService).onlineRetail(SLICE);
    const done = await reindex(url, true);
    expect(done).toMatchObject({ status: 'succeeded', result: { full: true } });
    good = await probeAll(url);
    for (const id of PROBES) expect(good[id]).toHaveLength(10);
  }, 600_000);

  afterAll(async () => {
    await stopApp().catch(() => undefined);
    await pg?.end().catch(() => undefined);
    await db?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('loads the published index from disk at start-up, without a new reindex', async () => {
    const published = currentDir();
    expect(fs.existsSync(path.join(dataDir, 'index', published, 'index.bin'))).toBe(true);
    await stopApp();

    const restartedAt = new Date();
    const { url } = await startApp();
    // Ready at once: the index came from disk, not from a job that still has to run.
    const ready = await request(url).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details.vectorIndex).toMatchObject({ status: 'up', size: expect.any(Number) });
    const stats = await request(url).get('/v1/admin/stats');
    expect(stats.body.index).toMatchObject({
      modelVersion: 'raw',
      size: ready.body.details.vectorIndex.size,
    });
    expect(stats.body.index.size).toBeGreaterThan(900);
    expect(await probeAll(url)).toEqual(good);
    // Several poll intervals later still no reindex was queued, and CURRENT still names the same directory.
    await sleep(500);
    expect(await jobRows('reindex', restartedAt)).toEqual([]);
    expect(currentDir()).toBe(published);
  });

  it('searches a loaded index as wide as the loading server is configured to, not as its builder was', async () => {
    const manifest = () =>
      JSON.parse(fs.readFileSync(path.join(dataDir, 'index', currentDir(), 'manifest.json'), 'utf8')) as {
        efSearch: number;
      };
    // Built by the first server with the default for a catalog this small.
    expect(manifest().efSearch).toBe(100);
    await stopApp();
    const { url } = await startApp({ INDEX_EF_SEARCH: '37' });
    expect((await request(url).get('/v1/admin/stats')).body.index.efSearch).toBe(37);
    // The lists stay the same: on this catalog a walk of 37 finds the same ten neighbours.
    expect(await probeAll(url)).toEqual(good);
    await stopApp();
    const restarted = await startApp();
    expect((await request(restarted.url).get('/v1/admin/stats')).body.index.efSearch).toBe(100);
    expect(manifest().efSearch).toBe(100);
  });

  it('starts the session thread with the server, loaded with the served index before the first cart', async () => {
    await stopApp();
    const { url } = await startApp({ SESSION_THREAD: 'on' });
    const thread = async () =>
      (await request(url).get('/v1/admin/stats')).body.sessionThread as {
        state: string;
        index: string | null;
        onThread: number;
        inProcess: number;
        inSlot: number;
        takenOver: number;
      };
    let seen = await thread();
    // Up to 30 s: under jest the thread compiles its TypeScript as it starts, slow on a busy 2-core machine.
    for (let i = 0; i < 300 && seen.state !== 'ready'; i++) {
      await sleep(100);
      seen = await thread();
    }
    // No session list was asked for: the server started the thread, and it loaded the published index.
    expect(seen).toEqual({
      state: 'ready',
      index: currentDir(),
      onThread: 0,
      inProcess: 0,
      inSlot: 0,
      takenOver: 0,
    });
    const cart = await request(url)
      .post('/v1/recommendations')
      .send({ itemIds: PROBES.slice(0, 2), limit: 5 });
    expect(cart.status).toBe(200);
    expect(cart.body.items).toHaveLength(5);
    // The very first cart is gathered on the thread, not in-process while the thread loads.
    // Its set crossed in a slot of the thread's shared arena.
    // Alone, it waited behind no other list: the main thread did not take it over.
    expect(await thread()).toMatchObject({
      state: 'ready',
      onThread: 1,
      inProcess: 0,
      inSlot: 1,
      takenOver: 0,
    });
  });

  it('never serves a corrupt index: it logs, queues a rebuild, and serves correct answers again', async () => {
    await stopApp();
    const file = path.join(dataDir, 'index', currentDir(), 'index.bin');
    const bytes = fs.readFileSync(file);
    for (let i = 0; i < 64; i++) bytes[Math.floor(bytes.length / 2) + i] ^= 0xff;
    fs.writeFileSync(file, bytes);

    // What the app logs at start-up (through Nest's Logger, which the app routes to pino).
    const warn = jest.spyOn(Logger.prototype, 'warn');
    let warned = '';
    const restartedAt = new Date();
    let url: string;
    try {
      ({ url } = await startApp());
      // Whatever moment a request lands at, it gets no answer from the damaged file: no vector neighbours (the
      // list is then co-purchase alone), or the right ones.
      for (let i = 0; i < 5; i++) {
        const res = await request(url).get('/v1/items/20725/similar?limit=10');
        expect(res.status).toBe(200);
        const ids = (res.body.items as Array<{ id: string }>).map((x) => x.id);
        if (String(res.body.strategy).includes('vector')) expect(ids).toEqual(good['20725']);
      }
    } finally {
      warned = warn.mock.calls.map((c) => String(c[0])).join('\n');
      warn.mockRestore();
    }
    expect(warned).toMatch(
      /index on disk is unusable \(.*does not match the manifest checksum\); it will be rebuilt/,
    );

    let jobs = await jobRows('reindex', restartedAt);
    for (let i = 0; i < 300 && !(jobs.length > 0 && ['succeeded', 'failed'].includes(jobs[0].status)); i++) {
      await sleep(100);
      jobs = await jobRows('reindex', restartedAt);
    }
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ status: 'succeeded', error: null });
    expect((await request(url).get('/health/ready')).status).toBe(200);
    expect(await probeAll(url)).toEqual(good);
    // The rebuild published a fresh, loadable directory.
    expect(fs.existsSync(path.join(dataDir, 'index', currentDir(), 'index.bin'))).toBe(true);
  });

  it('re-embeds nothing when no text changed, and exactly the item whose title did', async () => {
    const { url } = running!;
    const again = await reindex(url, false);
    expect(again).toMatchObject({ status: 'succeeded', result: { full: false, embedded: 0 } });
    expect((again.result as { reused: number }).reused).toBeGreaterThan(900);

    const patched = await request(url).patch('/v1/items/22383').send({ title: 'LUNCH BAG SUKI DESIGN BLUE' });
    expect(patched.status).toBe(200);
    const one = await reindex(url, false);
    expect(one).toMatchObject({ status: 'succeeded', result: { full: false, embedded: 1 } });
    // Put the title back (one more embedding) so the remaining tests compare against the original answers.
    const back = await request(url).patch('/v1/items/22383').send({ title: 'LUNCH BAG SUKI  DESIGN' });
    expect(back.status).toBe(200);
    expect(await reindex(url, false)).toMatchObject({ status: 'succeeded', result: { embedded: 1 } });
    expect(await probeAll(url)).toEqual(good);
  });

  it('survives a SIGKILL during `aisle reindex --full`: old index loads, the job is failed as interrupted, a re-run works', async () => {
    await stopApp();
    const before = currentDir();
    const startedAt = new Date();
    const cli = spawnCli(['reindex', '--full', '--json']);
    let jobId: string | undefined;
    let exited = false;
    void cli.done.then(() => (exited = true));
    for (let i = 0; i < 6000 && !jobId && !exited; i++) {
      const rows = await jobRows('reindex', startedAt);
      if (rows[0]?.status === 'running') jobId = rows[0].id;
      else await sleep(10);
    }
    expect(jobId).toBeDefined();
    cli.child.kill('SIGKILL');
    const killed = await cli.done;
    expect(killed.signal).toBe('SIGKILL');
    // Killed mid-run: the row still says running, and CURRENT still names the previous, complete index.
    expect((await jobRows('reindex', startedAt))[0]).toMatchObject({ id: jobId, status: 'running' });
    expect(currentDir()).toBe(before);

    const { url } = await startApp();
    expect((await request(url).get('/health/ready')).status).toBe(200);
    expect(await probeAll(url)).toEqual(good);
    const rows = await jobRows('reindex', startedAt);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: jobId,
      status: 'failed',
      error: expect.stringMatching(/interrupted/),
    });
    await stopApp();

    const rerun = await spawnCli(['reindex', '--full', '--json']).done;
    expect({ code: rerun.code, stderr: rerun.code === 0 ? '' : rerun.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    const summary = JSON.parse(rerun.stdout.trimEnd().split('\n').pop() ?? '') as Record<string, unknown>;
    expect(summary).toMatchObject({ ok: true, full: true, embedded: expect.any(Number) });
    expect(summary.embedded).toBeGreaterThan(900);
    const after = await jobRows('reindex', startedAt);
    expect(after.map((r) => r.status)).toEqual(['failed', 'succeeded']);
    expect(currentDir()).not.toBe(before);

    const restarted = await startApp();
    expect(await probeAll(restarted.url)).toEqual(good);
  });

  it('swaps the index atomically: concurrent reads during a full reindex all succeed', async () => {
    const { url } = running!;
    const before = currentDir();
    const res = await request(url).post('/v1/admin/reindex').send({ full: true });
    expect(res.status).toBe(202);
    const jobId = res.body.jobId as string;

    const statuses: number[] = [];
    const bad: string[] = [];
    let finished = false;
    let sent = 0;
    let afterSwap = 0;
    // Bounded by time, not by a count of requests: held answers are cheap, so on a busy machine the readers can
    // send tens of thousands while the reindex's child process waits for a core.
    const deadline = Date.now() + 240_000;
    // 20 readers keep requests in flight for as long as the job runs: at least 200 in all, some after the swap.
    const reader = async () => {
      while (sent < 200 || !finished || afterSwap < 20) {
        const id = PROBES[sent++ % PROBES.length];
        const r = await request(url).get(`/v1/items/${id}/similar?limit=10`);
        statuses.push(r.status);
        const ids = r.status === 200 ? (r.body.items as Array<{ id: string }>).map((x) => x.id) : [];
        if (r.status !== 200 || ids.length !== 10 || ids.includes(id))
          bad.push(`${id}: ${r.status} ${ids.join(',')}`);
        if (finished) afterSwap += 1;
        if (Date.now() > deadline) throw new Error(`the reindex did not finish in 240 s (${sent} reads)`);
      }
    };
    const watcher = async () => {
      while (!finished) {
        const job = await request(url).get(`/v1/admin/jobs/${jobId}`);
        finished = job.body.status === 'succeeded' || job.body.status === 'failed';
        if (!finished) await sleep(50);
      }
    };
    await Promise.all([watcher(), ...Array.from({ length: 20 }, reader)]);
    expect((await waitForJob(url, jobId)).status).toBe('succeeded');
    expect(statuses.length).toBeGreaterThanOrEqual(200);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(bad).toEqual([]);
    expect(currentDir()).not.toBe(before);
    expect(await probeAll(url)).toEqual(good);
  }, 300_000);

  it('a server builds the index in a child process and serves it by the time the job reports done', async () => {
    const { app, url } = running ?? (await startApp());
    const before = currentDir();
    const done = await reindex(url, true);
    expect(done.status).toBe('succeeded');
    const result = done.result as { pid: number; index: { directory: string; size: number } };
    // REINDEX_PROCESS=child (the default): the graph and every vector read for it lived in another process.
    expect(result.pid).not.toBe(process.pid);
    expect(result.index.directory).not.toBe(before);
    expect(currentDir()).toBe(result.index.directory);
    // Adopted before `succeeded`, not at the next change-feed message.
    expect(app.get(IndexService).currentName()).toBe(result.index.directory);
    expect(app.get(IndexService).current()?.size).toBe(result.index.size);
  });
});
