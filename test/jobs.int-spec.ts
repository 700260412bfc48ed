import { PinoLogger } from 'nestjs-pino';
import pino from 'pino';
import request from 'supertest';
import type { JobContext } from '../src/jobs/jobs.service';
import { JobsService } from '../src/jobs/jobs.service';
import { FINETUNE } from '../src/training/finetune.job';
import { startTestApp, type TestApp } from './support/app';

/**
 * The job queue on a real server and PostgreSQL: identical queued jobs coalesce, a reindex does not wait behind
 * a fine-tune, and a job's log lines do not carry the request that queued it.
 *
 * A job that must stay running while the test looks (a "long" fine-tune, a busy index lane) is a handler
 * registered for the test that waits on a gate: the runner, the claim and the lanes are the real ones.
 */

const REQUEST_ID = 'leak-probe-7f3a9c';

interface JobBody {
  id: string;
  kind: string;
  status: string;
  error?: string;
}

/** A job handler that runs until released, and says when it started. */
function gatedHandler(): {
  handler: (ctx: JobContext) => Promise<Record<string, unknown>>;
  started: Promise<void>;
  release: () => void;
} {
  let release!: () => void;
  let markStarted!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const started = new Promise<void>((r) => (markStarted = r));
  return {
    handler: async () => {
      markStarted();
      await gate;
      return { gated: true };
    },
    started,
    release,
  };
}

describe('jobs (real server and PostgreSQL)', () => {
  let t: TestApp;
  /** Every log line the service wrote. */
  const logged: string[] = [];

  beforeAll(async () => {
    // Polling off (in effect): jobs start from the enqueue that queued them, as from a request, never from a
    // timer tick that would run them outside any request anyway.
    t = await startTestApp({ LOG_LEVEL: 'info', JOBS_POLL_MS: '600000', REINDEX_DEBOUNCE_MS: '0' });
    // Every logger of the app (the root and each request's child) writes to the root's destination stream:
    // the lines are kept here instead of going to the test's stdout.
    const stream = (PinoLogger.root as unknown as Record<symbol, { write(chunk: string): unknown }>)[
      pino.symbols.streamSym
    ];
    stream.write = (chunk: string) => logged.push(chunk);
    const items = await request(t.server)
      .put('/v1/items')
      .send({
        items: [
          { id: 'j1', title: 'LUNCH BAG RED RETROSPOT', category: 'Bags' },
          { id: 'j2', title: 'JUMBO BAG PINK POLKADOT', category: 'Bags' },
        ],
      });
    expect(items.status).toBe(200);
  }, 300_000);

  afterAll(async () => {
    await t?.close();
  });

  const job = async (id: string): Promise<JobBody> =>
    (await request(t.server).get(`/v1/admin/jobs/${id}`)).body as JobBody;

  async function waitFor(id: string, statuses: string[], ms = 180_000): Promise<JobBody> {
    const until = Date.now() + ms;
    for (;;) {
      const j = await job(id);
      if (statuses.includes(j.status)) return j;
      if (Date.now() > until) throw new Error(`job ${id} is still ${j.status} after ${ms} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('logs a job without the id of the request that queued it', async () => {
    // The start-up co-purchase job must be done, or the lane's runner (started outside any request) would
    // pick the reindex up.
    for (let i = 0; (await countJobs(`status IN ('queued', 'running')`)) > 0; i++) {
      if (i > 1200) throw new Error('start-up jobs did not finish');
      await new Promise((r) => setTimeout(r, 100));
    }
    const res = await request(t.server)
      .post('/v1/admin/reindex')
      .set('X-Request-Id', REQUEST_ID)
      .send({ full: true });
    expect(res.status).toBe(202);
    const id = res.body.jobId as string;
    expect(await waitFor(id, ['succeeded', 'failed'])).toMatchObject({ status: 'succeeded' });
    // The request itself is logged with its id: the capture works, and the id is what a leak would carry.
    const lines = logged.join('').split('\n').filter(Boolean);
    expect(lines.some((l) => l.includes(REQUEST_ID))).toBe(true);
    const jobLines = lines.filter((l) => l.includes(id));
    expect(jobLines.length).toBeGreaterThanOrEqual(2); // started, succeeded
    for (const line of jobLines) expect(line).not.toContain(REQUEST_ID);
  }, 300_000);

  it('coalesces identical queued jobs: 20 reindex requests queue one job and all answer its id', async () => {
    const jobs = t.app.get(JobsService);
    // Hold the index lane so the reindex stays queued while the requests arrive.
    const busy = gatedHandler();
    jobs.register('test-hold-index-lane', busy.handler, 'index');
    const holder = await jobs.enqueue('test-hold-index-lane', {});
    await busy.started;

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => request(t.server).post('/v1/admin/reindex').send({ full: true })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    const ids = new Set(answers.map((a) => a.body.jobId as string));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    const rows = (await t.app.get(JobsService).get(id))!;
    expect(rows).toMatchObject({ kind: 'reindex', status: 'queued', params: { full: true } });
    const count = await countJobs(`kind = 'reindex' AND status = 'queued'`);
    expect(count).toBe(1);

    // Other parameters are other work.
    const partial = await request(t.server).post('/v1/admin/reindex').send({ full: false });
    expect(partial.status).toBe(202);
    expect(partial.body.jobId).not.toBe(id);
    expect(await countJobs(`kind = 'reindex' AND status = 'queued'`)).toBe(2);

    busy.release();
    expect(await waitFor(holder.id, ['succeeded', 'failed'])).toMatchObject({ status: 'succeeded' });
    expect(await waitFor(id, ['succeeded', 'failed'])).toMatchObject({ status: 'succeeded' });
    expect(await waitFor(partial.body.jobId as string, ['succeeded', 'failed'])).toMatchObject({
      status: 'succeeded',
    });
    // Once it ran, the same request queues a new job.
    const again = await request(t.server).post('/v1/admin/reindex').send({ full: true });
    expect(again.body.jobId).not.toBe(id);
    await waitFor(again.body.jobId as string, ['succeeded', 'failed']);
  }, 300_000);

  it('runs a reindex to the end while a long fine-tune holds the training lane', async () => {
    const jobs = t.app.get(JobsService);
    const long = gatedHandler();
    jobs.register(FINETUNE, long.handler, 'training');
    const ft = await request(t.server).post('/v1/admin/finetune');
    expect(ft.status).toBe(202);
    await long.started;
    expect(await job(ft.body.jobId as string)).toMatchObject({ kind: 'finetune', status: 'running' });

    const ri = await request(t.server).post('/v1/admin/reindex').send({ full: true });
    expect(ri.status).toBe(202);
    expect(await waitFor(ri.body.jobId as string, ['succeeded', 'failed'], 60_000)).toMatchObject({
      status: 'succeeded',
    });
    expect(await job(ft.body.jobId as string)).toMatchObject({ status: 'running' });

    long.release();
    expect(await waitFor(ft.body.jobId as string, ['succeeded', 'failed'])).toMatchObject({
      status: 'succeeded',
    });
  }, 300_000);

  it('runs a job queued while the lane is finishing its last one, without waiting for a poll', async () => {
    // Polling is off here: a job queued between the runner's last empty claim and its exit must still be run
    // by that enqueue (a lost wake-up would leave it queued until the next poll tick, minutes later).
    const jobs = t.app.get(JobsService);
    const ran: number[] = [];
    const ROUNDS = 60;
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    jobs.register(
      'test-chain',
      ({ job }) => {
        const i = job.params.i as number;
        ran.push(i);
        if (i + 1 >= ROUNDS) done();
        // The next job is queued as this one finishes, so its insert races the runner's next claim.
        else setTimeout(() => void jobs.enqueue('test-chain', { i: i + 1 }), (i % 4) * 2);
        return Promise.resolve({});
      },
      'index',
    );
    await jobs.enqueue('test-chain', { i: 0 });
    const stalled = new Promise<'stalled'>((r) => setTimeout(() => r('stalled'), 60_000).unref());
    expect(await Promise.race([all.then(() => 'done'), stalled])).toBe('done');
    expect(ran).toEqual(Array.from({ length: ROUNDS }, (_, i) => i));
  }, 120_000);

  async function countJobs(where: string): Promise<number> {
    const { DataSource } = await import('typeorm');
    const ds = t.app.get(DataSource);
    const rows: Array<{ n: number }> = await ds.query(`SELECT count(*)::int AS n FROM jobs WHERE ${where}`);
    return rows[0].n;
  }
});
