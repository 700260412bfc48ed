import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { ImportService } from '../src/import/import.service';
import { JobProcesses } from '../src/jobs/job-process';
import { JobsService } from '../src/jobs/jobs.service';
import { FINETUNE } from '../src/training/finetune.job';
import { createTestDatabase, type TestDatabase } from './support/database';
import { ensureCliBuilt, spawnCli as spawnCliIn, type CliRun } from './support/cli';
import { listenApp, type RunningApp } from './support/app';
import { waitForJob } from './support/jobs';
import { waitFor } from './support/wait';

/**
 * The nightly fine-tune on a real slice of Online Retail: training and its metrics, the gate, activation and
 * rollback, a brand-new item placed by its text alone, and a fine-tune killed mid-run. Apps are restarted on
 * the same database and DATA_DIR to change the fine-tune settings between runs, as an operator would.
 *
 * The slice holds one trading day (2010-12-01, 08:26–16:58 UTC). The validation window is the last
 * FINETUNE_VALIDATION_DAYS (≥ 1) before `now`, so `now` = 2010-12-02 11:00 puts the purchases from 11:00 on
 * in the window and the morning's in training; the gate then has one customer (17850) with history before the
 * window and a basket in it. The fine-tune job takes `now` as a parameter for exactly this (replays, tests).
 */

const SLICE = path.join(__dirname, 'fixtures', 'online-retail-slice.csv');
const NOW = '2010-12-02T11:00:00.000Z';
const ENV = {
  REINDEX_DEBOUNCE_MS: '0',
  JOBS_POLL_MS: '100',
  STATS_REFRESH_MS: '0',
  FINETUNE_EPOCHS: '2',
  FINETUNE_DIM: '32',
  FINETUNE_VALIDATION_DAYS: '1',
  // Every list keeps its new-arrival place: the cold-start checks below ask for one shopper's list.
  RECS_NEW_ITEM_SHARE: '1',
};
const LUNCH_BAG = '20725'; // LUNCH BAG RED RETROSPOT
/** The six lunch bags customer 17920 bought at 11:49. */
const LUNCH_BAGS_OF_17920 = ['20728', '22382', '22662', '22383', '20727', '20725'];

interface ModelVersion {
  version: string;
  status: string;
  metrics: {
    validationCases: number;
    validationNdcg: number;
    activeValidationNdcg: number;
    activeVersion: string;
    initialValidationLoss: number | null;
    epochs: Array<{ epoch: number; trainLoss: number; validationLoss: number | null }>;
    trainPairs: number;
    trainSteps: { done: number; planned: number };
    fullTrainSteps?: { done: number; planned: number };
    validationPairs: number;
    validationStart: string;
  };
}

interface FinetuneJobResult {
  version: string;
  activated: boolean;
  reason: string;
  metrics: ModelVersion['metrics'];
}

let db: TestDatabase;
let dataDir: string;
let pg: Client;
let running: RunningApp | undefined;

/** The real HTTP app on this file's database and data directory; `env` overrides the fine-tune settings. */
async function startApp(env: Record<string, string> = {}): Promise<RunningApp> {
  running = await listenApp(db.url, dataDir, { ...ENV, ...env });
  return running;
}

async function restartApp(env: Record<string, string> = {}): Promise<RunningApp> {
  await stopApp();
  return startApp(env);
}

async function stopApp(): Promise<void> {
  const r = running;
  running = undefined;
  await r?.app.close();
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Queues the fine-tune job (what POST /v1/admin/finetune does) as of NOW, and waits for it through the API. */
async function finetune(r: RunningApp): Promise<FinetuneJobResult> {
  const job = await r.app.get(JobsService).enqueue(FINETUNE, { now: NOW });
  const done = await waitForJob(r.url, job.id);
  expect({ status: done.status, error: done.error }).toEqual({ status: 'succeeded', error: undefined });
  return done.result as FinetuneJobResult;
}

interface ModelsListing {
  active: string | null;
  versions: ModelVersion[];
  servedBlends: { modelVersion: string; source: string; retunedAt: string | null } & Record<string, unknown>;
}

async function models(url: string): Promise<ModelsListing> {
  const res = await request(url).get('/v1/admin/models');
  expect(res.status).toBe(200);
  return res.body as ModelsListing;
}

async function similar(url: string, id: string): Promise<{ ids: string[]; modelVersion: string | null }> {
  const res = await request(url).get(`/v1/items/${id}/similar?limit=10`);
  expect(res.status).toBe(200);
  return {
    ids: (res.body.items as Array<{ id: string }>).map((i) => i.id),
    modelVersion: res.body.modelVersion as string | null,
  };
}

async function textQuery(url: string): Promise<{ ids: string[]; modelVersion: string | null }> {
  const res = await request(url).post('/v1/recommendations').send({ text: 'lunch bag', limit: 10 });
  expect(res.status).toBe(200);
  return {
    ids: (res.body.items as Array<{ id: string }>).map((i) => i.id),
    modelVersion: res.body.modelVersion as string | null,
  };
}

const currentDir = () => fs.readFileSync(path.join(dataDir, 'index', 'CURRENT'), 'utf8').trim();

function spawnCli(args: string[]): CliRun {
  return spawnCliIn(args, { ...ENV, DATABASE_URL: db.url, DATA_DIR: dataDir });
}

describe('nightly fine-tune', () => {
  /** The first version activated by a fine-tune, and the one activated after it. */
  let first: string;
  let second: string;

  beforeAll(async () => {
    ensureCliBuilt();
    db = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-finetune-test-'));
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    const { app, url } = await startApp();
    await app.get(ImportService).onlineRetail(SLICE);
    const res = await request(url).post('/v1/admin/reindex').send({ full: true });
    expect(res.status).toBe(202);
    expect(await waitForJob(url, res.body.jobId as string)).toMatchObject({ status: 'succeeded' });
    expect((await similar(url, LUNCH_BAG)).modelVersion).toBe('raw');
  }, 600_000);

  afterAll(async () => {
    await stopApp().catch(() => undefined);
    await pg?.end().catch(() => undefined);
    await db?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('POST /v1/admin/finetune runs the job as of the latest purchase; a history younger than the window is judged on its last fifth', async () => {
    const { url } = running!;
    const res = await request(url).post('/v1/admin/finetune');
    expect(res.status).toBe(202);
    const done = await waitForJob(url, res.body.jobId as string);
    expect(done).toMatchObject({ kind: 'finetune', status: 'succeeded' });
    // Its first step rebuilt the co-purchase neighbours, stored as this job's: a rebuild queued before it is
    // then skipped (CopurchaseJob.coveredAlready).
    const writer = await pg.query<{ job_id: string }>(`SELECT job_id FROM copurchase_build`);
    expect(writer.rows[0]?.job_id).toBe(res.body.jobId);
    // The slice is from 2010: the job trains as of its last purchase, not today's clock. Its one day would then all
    // lie in the one-day validation window, leaving nothing to train on: the window is the day's last fifth instead.
    const result = done.result as FinetuneJobResult;
    const span = await pg.query<{ first: Date; last: Date }>(
      `SELECT min(occurred_at) AS first, max(occurred_at) AS last FROM events WHERE type = 'purchase'`,
    );
    const first = span.rows[0].first.getTime();
    const now = span.rows[0].last.getTime() + 1;
    expect(
      Math.abs(Date.parse(result.metrics.validationStart) - (first + 0.8 * (now - first))),
    ).toBeLessThanOrEqual(1);
    expect(result.metrics.trainPairs).toBeGreaterThan(0);
    expect(result.metrics.validationPairs).toBeGreaterThan(0);
    // Whatever the gate decided, the listing and the lists say the same.
    const listed = await models(url);
    expect(listed.active).toBe(result.activated ? result.version : null);
    expect(listed.versions.find((v) => v.version === result.version)?.status).toBe(
      result.activated ? 'active' : 'rejected',
    );
    expect((await similar(url, LUNCH_BAG)).modelVersion).toBe(result.activated ? result.version : 'raw');
  });

  it('trains on the shop’s purchases: the version is listed with its metrics and lowers the validation loss', async () => {
    const r = await restartApp({ FINETUNE_MIN_GAIN: '-1' });
    const result = await finetune(r);
    expect(result.activated).toBe(true);
    first = result.version;

    const listed = await models(r.url);
    expect(listed.active).toBe(first);
    const v = listed.versions.find((x) => x.version === first)!;
    expect(v.status).toBe('active');
    expect(v.metrics.validationCases).toBeGreaterThan(0);
    expect(v.metrics.validationPairs).toBeGreaterThan(0);
    expect(v.metrics.trainPairs).toBeGreaterThan(0);
    expect(v.metrics.validationNdcg).toBeGreaterThanOrEqual(0);
    expect(v.metrics.validationNdcg).toBeLessThanOrEqual(1);
    expect(v.metrics.epochs).toHaveLength(2);
    // Well within FINETUNE_MAX_TRAINING_MINUTES: both models took every step their epochs asked for; the
    // full-history one learns from the validation window too, so it has at least as many.
    expect(v.metrics.trainSteps.planned).toBeGreaterThan(0);
    expect(v.metrics.trainSteps.done).toBe(v.metrics.trainSteps.planned);
    expect(v.metrics.fullTrainSteps!.done).toBe(v.metrics.fullTrainSteps!.planned);
    expect(v.metrics.fullTrainSteps!.planned).toBeGreaterThanOrEqual(v.metrics.trainSteps.planned);
    for (const e of v.metrics.epochs) {
      expect(Number.isFinite(e.trainLoss)).toBe(true);
      expect(Number.isFinite(e.validationLoss)).toBe(true);
    }
    expect(v.metrics.initialValidationLoss).toEqual(expect.any(Number));
    expect(v.metrics.epochs[v.metrics.epochs.length - 1].validationLoss!).toBeLessThan(
      v.metrics.initialValidationLoss!,
    );

    // The activation re-projected the catalogue: the served index is the new version's.
    expect((await similar(r.url, LUNCH_BAG)).modelVersion).toBe(first);
    const stats = await request(r.url).get('/v1/admin/stats');
    expect(stats.body).toMatchObject({ activeModel: first, index: { modelVersion: first, dimension: 32 } });
  });

  it('the gate refuses a candidate that does not beat the active model by FINETUNE_MIN_GAIN', async () => {
    const before = currentDir();
    // NDCG lies in [0, 1]: a required gain of 2 can never be met.
    const r = await restartApp({ FINETUNE_MIN_GAIN: '2' });
    expect((await similar(r.url, LUNCH_BAG)).modelVersion).toBe(first);
    const served = (await similar(r.url, LUNCH_BAG)).ids;

    const result = await finetune(r);
    expect(result.activated).toBe(false);
    expect(result.reason).toMatch(/does not beat the active model's .* by 2/);
    // Judged on real validation baskets, against the version in service.
    expect(result.metrics).toMatchObject({ activeVersion: first, validationCases: expect.any(Number) });
    expect(result.metrics.validationCases).toBeGreaterThan(0);
    const listed = await models(r.url);
    expect(listed.active).toBe(first);
    expect(listed.versions.find((v) => v.version === result.version)?.status).toBe('rejected');
    expect(listed.versions.find((v) => v.version === first)?.status).toBe('active');
    // Nothing was re-projected or published.
    expect(currentDir()).toBe(before);
    expect((await similar(r.url, LUNCH_BAG)).modelVersion).toBe(first);
    expect((await similar(r.url, LUNCH_BAG)).ids).toHaveLength(served.length);

    // The version in service keeps serving with its blends re-tuned on this window, stored for every process:
    // the job ran in a child process, and the server adopts them through the change feed.
    expect(result.metrics).toMatchObject({
      retunedActiveBlends: expect.arrayContaining(['blend', 'sessionBlend']),
    });
    const stored = await pg.query<{ params: Record<string, unknown>; tuned_at: Date; candidate: string }>(
      `SELECT params, tuned_at, metrics->>'candidate' AS candidate FROM model_blends WHERE model_version = $1`,
      [first],
    );
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0].candidate).toBe(result.version);
    const served2 = await waitFor(async () => {
      const b = (await models(r.url)).servedBlends;
      return b.retunedAt === stored.rows[0].tuned_at.toISOString() ? b : undefined;
    });
    expect(served2).toMatchObject({
      modelVersion: first,
      source: 'retuned',
      blend: stored.rows[0].params.blend,
      sessionBlend: stored.rows[0].params.sessionBlend,
    });
    // A server started now reads them at start-up.
    const again = await restartApp({ FINETUNE_MIN_GAIN: '2' });
    expect((await models(again.url)).servedBlends).toMatchObject({
      source: 'retuned',
      retunedAt: stored.rows[0].tuned_at.toISOString(),
      sessionBlend: stored.rows[0].params.sessionBlend,
    });
  });

  it('rolls back to an earlier version: POST /v1/admin/models/:version/activate', async () => {
    // One model after the other this time (FINETUNE_PARALLEL=false): the sequential path must activate too.
    // Another seed and a narrower projection, so that the second version's lists differ from the first's.
    const r = await restartApp({
      FINETUNE_MIN_GAIN: '-1',
      FINETUNE_SEED: '7',
      FINETUNE_DIM: '16',
      FINETUNE_PARALLEL: 'false',
    });
    // What the first version serves, to compare the rolled-back lists with (not only their version label).
    const byFirst = { similar: await similar(r.url, LUNCH_BAG), text: await textQuery(r.url) };
    expect(byFirst.similar.modelVersion).toBe(first);
    const result = await finetune(r);
    expect(result.activated).toBe(true);
    second = result.version;
    expect(second).not.toBe(first);
    const bySecond = { similar: await similar(r.url, LUNCH_BAG), text: await textQuery(r.url) };
    expect(bySecond.similar.modelVersion).toBe(second);
    // The lists changed, so equal lists after the rollback mean something.
    expect([bySecond.similar.ids, bySecond.text.ids]).not.toEqual([byFirst.similar.ids, byFirst.text.ids]);

    const res = await request(r.url).post(`/v1/admin/models/${first}/activate`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ version: first, active: true });
    const listed = await models(r.url);
    expect(listed.active).toBe(first);
    expect(listed.versions.filter((v) => v.status === 'active').map((v) => v.version)).toEqual([first]);
    expect(listed.versions.find((v) => v.version === second)?.status).toBe('inactive');
    // The rollback serves the first version's lists again, item for item.
    expect(await similar(r.url, LUNCH_BAG)).toEqual(byFirst.similar);
    const rolledBack = await textQuery(r.url);
    expect(rolledBack).toEqual(byFirst.text);
    expect(rolledBack.ids).toHaveLength(10);

    // The rollback outlives a restart: the active version and its index are what the next process serves.
    const again = await restartApp();
    expect((await models(again.url)).active).toBe(first);
    expect((await similar(again.url, LUNCH_BAG)).modelVersion).toBe(first);
    // Text is projected with the restored version as before the restart (no reindex has run in this process).
    const query = await textQuery(again.url);
    expect(query).toEqual(rolledBack);
    expect(query.modelVersion).toBe(first);
    expect((await request(again.url).post('/v1/admin/models/no-such-version/activate')).status).toBe(404);
  });

  it('rebuilds at start-up an index published for a model that is not the active one (crash between publish and mark)', async () => {
    await stopApp();
    // The state a process leaves when it dies after publishing `second`'s index but before marking it active,
    // seen from the other side: the database names one version, the published index belongs to another.
    const setActive = (version: string) =>
      pg.query(
        `UPDATE model_versions SET status = CASE WHEN version = $1 THEN 'active' ELSE 'inactive' END
         WHERE status IN ('active', 'inactive')`,
        [version],
      );
    await setActive(second);
    const r = await startApp();
    expect((await models(r.url)).active).toBe(second);
    let served: string | null = null;
    for (let i = 0; i < 300 && served !== second; i++) {
      served = (await similar(r.url, LUNCH_BAG)).modelVersion;
      if (served !== second) await sleep(100);
    }
    expect(served).toBe(second);
    // The server adopts the published index as soon as the job's process announces it, a moment before that
    // process has exited and the job is marked done (REINDEX_PROCESS=child): wait for the job's row.
    let rebuilt = 0;
    for (let i = 0; i < 300 && rebuilt < 1; i++) {
      const q = await pg.query<{ n: string }>(
        `SELECT count(*) AS n FROM jobs WHERE kind = 'reindex' AND status = 'succeeded' AND result->'index'->>'modelVersion' = $1`,
        [second],
      );
      rebuilt = Number(q.rows[0].n);
      if (rebuilt < 1) await sleep(100);
    }
    expect(rebuilt).toBeGreaterThanOrEqual(1);

    // Back to `first` the same way, for the tests below.
    await stopApp();
    await setActive(first);
    const back = await startApp();
    for (let i = 0; i < 300 && served !== first; i++) {
      served = (await similar(back.url, LUNCH_BAG)).modelVersion;
      if (served !== first) await sleep(100);
    }
    expect(served).toBe(first);
  });

  it('places a brand-new item by its text alone (cold start) next to its kind', async () => {
    const { url } = running!;
    const put = await request(url)
      .put('/v1/items')
      .send({ items: [{ id: 'new-lunch-bag', title: 'LUNCH BAG PURPLE FLOWERS', price: 1.65 }] });
    expect(put.status).toBe(200);
    const job = await request(url).post('/v1/admin/reindex').send({ full: false });
    expect(job.status).toBe(202);
    const done = await waitForJob(url, job.body.jobId as string);
    expect(done).toMatchObject({
      status: 'succeeded',
      result: { embedded: 1, index: { modelVersion: first } },
    });

    // Its neighbours by text are bags, lunch bags among them.
    const own = await request(url).get('/v1/items/new-lunch-bag/similar?limit=10&includeItems=true');
    expect(own.status).toBe(200);
    expect(own.body.modelVersion).toBe(first);
    const titles = (own.body.items as Array<{ item: { title: string } }>).map((i) => i.item.title);
    expect(titles.filter((t) => t.startsWith('LUNCH BAG')).length).toBeGreaterThanOrEqual(1);

    // A shopper browsing lunch bags (those customer 17920 bought) is shown the new one.
    const session = await request(url)
      .post('/v1/recommendations')
      .send({ itemIds: LUNCH_BAGS_OF_17920, limit: 10 });
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ strategy: expect.stringMatching(/^session:/), modelVersion: first });
    expect((session.body.items as Array<{ id: string }>).map((i) => i.id)).toContain('new-lunch-bag');

    // And so is one who types what they want.
    const query = await request(url).post('/v1/recommendations').send({ text: 'lunch bag', limit: 10 });
    expect(query.body.strategy).toBe('semantic-search');
    expect((query.body.items as Array<{ id: string }>).map((i) => i.id)).toContain('new-lunch-bag');

    // The customer who bought them gets it in a short personal list: it is the only never-sold item of the shop,
    // so without its new-arrival place (RECS_NEW_ITEM_SLOTS, default 1; every list keeps it here) the items that
    // sell would fill all three.
    const personal = await request(url).get(
      '/v1/users/17920/recommendations?limit=3&excludePurchased=true&explain=true',
    );
    expect(personal.status).toBe(200);
    expect(personal.body.strategy).toBe('personalized');
    const shown = personal.body.items as Array<{ id: string; reason: { type: string; itemIds?: string[] } }>;
    expect(shown).toHaveLength(3);
    const arrival = shown.find((i) => i.id === 'new-lunch-bag');
    expect(arrival?.reason.type).toBe('similar-to');
    expect(arrival?.reason.itemIds?.some((id) => LUNCH_BAGS_OF_17920.includes(id))).toBe(true);
  });

  it('survives a SIGKILL during `aisle finetune`: the job is failed as interrupted, the active version still serves', async () => {
    await stopApp();
    const before = currentDir();
    const startedAt = new Date();
    // The command's run (PCA, training, the gate's tuning) takes seconds: it is caught and killed mid-flight.
    const cli = spawnCli(['finetune', '--json']);
    let jobId: string | undefined;
    let exited = false;
    void cli.done.then(() => (exited = true));
    for (let i = 0; i < 6000 && !jobId && !exited; i++) {
      const rows = await pg.query<{ id: string; status: string }>(
        `SELECT id, status FROM jobs WHERE kind = 'finetune' AND created_at >= $1`,
        [startedAt],
      );
      if (rows.rows[0]?.status === 'running') jobId = rows.rows[0].id;
      else await sleep(5);
    }
    expect(jobId).toBeDefined();
    cli.child.kill('SIGKILL');
    expect((await cli.done).signal).toBe('SIGKILL');
    const killed = await pg.query<{ status: string }>(`SELECT status FROM jobs WHERE id = $1`, [jobId]);
    expect(killed.rows[0].status).toBe('running');

    const r = await startApp();
    const job = await request(r.url).get(`/v1/admin/jobs/${jobId}`);
    expect(job.body).toMatchObject({ status: 'failed', error: expect.stringMatching(/interrupted/) });
    const listed = await models(r.url);
    expect(listed.active).toBe(first);
    expect(listed.versions.filter((v) => v.status === 'active').map((v) => v.version)).toEqual([first]);
    expect(currentDir()).toBe(before);
    expect((await request(r.url).get('/health/ready')).status).toBe(200);
    expect((await similar(r.url, LUNCH_BAG)).modelVersion).toBe(first);
  });
  /** Queues a fine-tune on `r` and waits until its child process is training; returns the job and the child's pid. */
  async function childTraining(r: RunningApp): Promise<{ jobId: string; pid: number }> {
    const job = await r.app.get(JobsService).enqueue(FINETUNE, { now: NOW });
    for (let i = 0; i < 3000; i++) {
      const child = r.app
        .get(JobProcesses)
        .running()
        .find((c) => c.jobId === job.id);
      const row = await pg.query<{ status: string; done: number; total: number }>(
        `SELECT status, progress_done AS done, progress_total AS total FROM jobs WHERE id = $1`,
        [job.id],
      );
      const { status, done, total } = row.rows[0];
      // Training reports on a 0–3000 scale whose first two thirds are training (activation the last third).
      if (child && status === 'running' && total === 3000 && done > 0 && done < 2000)
        return { jobId: job.id, pid: child.pid };
      if (status !== 'queued' && status !== 'running') throw new Error(`the fine-tune ended ${status} early`);
      await sleep(50);
    }
    throw new Error('the fine-tune never started training in a child process');
  }

  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('runs a server’s fine-tune in a child process: SIGKILLed mid-training, the job fails saying so, the server serves on, and the next fine-tune succeeds', async () => {
    // Enough epochs on the slice for training to last a few seconds, so it is caught midway.
    const r = await restartApp({ FINETUNE_MIN_GAIN: '-1', FINETUNE_EPOCHS: '60' });
    const before = currentDir();
    const active = (await models(r.url)).active;
    expect(active).toBe(first);

    const { jobId, pid } = await childTraining(r);
    expect(pid).not.toBe(process.pid);
    process.kill(pid, 'SIGKILL');
    const failed = await waitForJob(r.url, jobId);
    expect(failed).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/process \d+ was killed by SIGKILL before it finished/),
    });
    expect(r.app.get(JobProcesses).running()).toEqual([]);

    // The same server still answers, with the version and the index it served before.
    expect((await request(r.url).get('/health/live')).status).toBe(200);
    expect((await request(r.url).get('/health/ready')).status).toBe(200);
    expect((await models(r.url)).active).toBe(first);
    expect(currentDir()).toBe(before);
    expect((await similar(r.url, LUNCH_BAG)).modelVersion).toBe(first);

    // A later fine-tune on the same server succeeds, and the server serves what its child activated.
    const result = await finetune(r);
    expect(result.activated).toBe(true);
    expect(result.version).not.toBe(first);
    expect((await models(r.url)).active).toBe(result.version);
    expect((await similar(r.url, LUNCH_BAG)).modelVersion).toBe(result.version);
    expect(currentDir()).not.toBe(before);
  }, 600_000);

  it('a server that shuts down stops its fine-tune’s child process and fails the job saying why', async () => {
    const r = await restartApp({ FINETUNE_MIN_GAIN: '-1', FINETUNE_EPOCHS: '60' });
    const active = (await models(r.url)).active;
    const { jobId, pid } = await childTraining(r);
    await stopApp();
    // 'close' has come by the time the server has stopped: the child has exited and been reaped.
    expect(alive(pid)).toBe(false);
    const row = await pg.query<{ status: string; error: string }>(
      `SELECT status, error FROM jobs WHERE id = $1`,
      [jobId],
    );
    expect(row.rows[0]).toEqual({
      status: 'failed',
      error: expect.stringMatching(/the server shut down while the job ran: its process \d+ was stopped/),
    });
    const again = await startApp();
    expect((await models(again.url)).active).toBe(active);
  }, 600_000);
});
