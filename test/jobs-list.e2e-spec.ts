import request from 'supertest';
import type { JobContext } from '../src/jobs/jobs.service';
import { JobsService } from '../src/jobs/jobs.service';
import { startTestApp, type TestApp } from './support/app';

/**
 * GET /v1/admin/jobs on a real server and PostgreSQL: the newest jobs first, filtered by status, in the shape
 * of GET /v1/admin/jobs/:jobId, admin only. The runner is off (JOBS_WORKER=false) so the test decides which
 * job runs, succeeds, fails or stays queued; the runner, the claim and the rows are the real ones.
 */

const ADMIN = 'jobs-admin-key-0123456789';
const READ = 'jobs-read-key-0123456789';

interface JobBody {
  id: string;
  kind: string;
  status: string;
  progress: { done: number; total: number };
  createdAt: string;
  error?: string;
  result?: Record<string, unknown>;
}

describe('GET /v1/admin/jobs (real server and PostgreSQL)', () => {
  let t: TestApp;
  const ids: Record<'ok' | 'failed' | 'running' | 'queued', string> = {
    ok: '',
    failed: '',
    running: '',
    queued: '',
  };
  let release!: () => void;
  let running: Promise<unknown>;

  const get = (url: string, key = ADMIN) => request(t.server).get(url).set('X-API-Key', key);
  const listed = async (query = ''): Promise<JobBody[]> => {
    const res = await get(`/v1/admin/jobs${query}`);
    expect(res.status).toBe(200);
    return res.body.jobs as JobBody[];
  };
  const ours = (jobs: JobBody[]) => jobs.filter((j) => j.kind.startsWith('list-test-')).map((j) => j.id);

  beforeAll(async () => {
    t = await startTestApp({ JOBS_WORKER: 'false', API_KEYS: `${ADMIN}:read+write+admin,${READ}:read` });
    const jobs = t.app.get(JobsService);
    jobs.register('list-test-ok', (ctx: JobContext) => {
      ctx.progress(3, 3);
      return Promise.resolve({ answer: 42 });
    });
    jobs.register('list-test-fail', () => Promise.reject(new Error('the test asked this job to fail')));
    let started!: () => void;
    const isRunning = new Promise<void>((r) => (started = r));
    const gate = new Promise<void>((r) => (release = r));
    jobs.register(
      'list-test-gated',
      async (ctx: JobContext) => {
        ctx.progress(1, 4);
        started();
        await gate;
        return {};
      },
      'training',
    );
    jobs.register('list-test-queued', () => Promise.resolve({}));

    // Oldest to newest: one succeeded, one failed, one running, one queued.
    ids.ok = (await jobs.enqueue('list-test-ok', { n: 1 })).id;
    expect(await jobs.runNext(ids.ok)).toMatchObject({ status: 'succeeded' });
    ids.failed = (await jobs.enqueue('list-test-fail', {})).id;
    expect(await jobs.runNext(ids.failed)).toMatchObject({ status: 'failed' });
    ids.running = (await jobs.enqueue('list-test-gated', {})).id;
    running = jobs.runNext(ids.running);
    await isRunning;
    ids.queued = (await jobs.enqueue('list-test-queued', {})).id;
  }, 300_000);

  afterAll(async () => {
    release?.();
    await running;
    await t?.close();
  });

  it('lists jobs newest first, each exactly as GET /v1/admin/jobs/:jobId answers it', async () => {
    const jobs = await listed();
    expect(ours(jobs)).toEqual([ids.queued, ids.running, ids.failed, ids.ok]);
    const created = jobs.map((j) => Date.parse(j.createdAt));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    for (const j of jobs) {
      const one = await get(`/v1/admin/jobs/${j.id}`);
      expect(one.status).toBe(200);
      expect(j).toEqual(one.body);
    }
    const byId = new Map(jobs.map((j) => [j.id, j]));
    expect(byId.get(ids.ok)).toMatchObject({
      status: 'succeeded',
      progress: { done: 3, total: 3 },
      result: { answer: 42 },
    });
    expect(byId.get(ids.failed)).toMatchObject({
      status: 'failed',
      error: 'the test asked this job to fail',
    });
    expect(byId.get(ids.running)).toMatchObject({ status: 'running', progress: { done: 1, total: 4 } });
    expect(byId.get(ids.queued)).toMatchObject({ status: 'queued', progress: { done: 0, total: 0 } });
  });

  it('filters by one status or several, comma-separated', async () => {
    expect(ours(await listed('?status=running'))).toEqual([ids.running]);
    expect(ours(await listed('?status=failed'))).toEqual([ids.failed]);
    const active = await listed('?status=queued,running');
    expect(ours(active)).toEqual([ids.queued, ids.running]);
    expect(active.every((j) => j.status === 'queued' || j.status === 'running')).toBe(true);
    expect(ours(await listed('?status=succeeded,failed'))).toEqual([ids.failed, ids.ok]);
  });

  it('keeps to the limit (clamped to 1–100), newest first', async () => {
    const all = await listed('?limit=100');
    expect((await listed('?limit=2')).map((j) => j.id)).toEqual(all.slice(0, 2).map((j) => j.id));
    expect((await listed('?limit=0')).map((j) => j.id)).toEqual([all[0].id]);
    expect((await listed('?limit=100000')).length).toBe(all.length);
  });

  it('answers a bad status or limit with a 400 problem naming the parameter', async () => {
    const bad = await get('/v1/admin/jobs?status=running,done');
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.body.errors).toEqual([{ path: 'status', message: expect.stringContaining('"done"') }]);
    const limit = await get('/v1/admin/jobs?limit=many');
    expect(limit.status).toBe(400);
    expect(limit.body.errors[0].path).toBe('limit');
  });

  it('is for admin keys only', async () => {
    expect((await get('/v1/admin/jobs', READ)).status).toBe(403);
    expect((await request(t.server).get('/v1/admin/jobs')).status).toBe(401);
  });
});
