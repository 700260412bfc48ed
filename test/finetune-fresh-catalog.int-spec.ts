import * as path from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ImportService } from '../src/import/import.service';
import { startTestApp, type TestApp } from './support/app';

/**
 * POST /v1/admin/finetune right after a catalog load, with no reindex before it: the job embeds what it needs
 * itself and, like the nightly `aisle finetune`, rebuilds the co-purchase neighbours first.
 */

const SLICE = path.join(__dirname, 'fixtures', 'online-retail-slice.csv');

describe('fine-tune on a freshly loaded catalog (real PostgreSQL and encoder)', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp({
      // Nothing but the fine-tune may embed or rebuild here: no debounced reindex or co-purchase rebuild.
      REINDEX_DEBOUNCE_MS: '0',
      COPURCHASE_DEBOUNCE_MS: '0',
      JOBS_POLL_MS: '100',
      FINETUNE_EPOCHS: '2',
      FINETUNE_DIM: '32',
      FINETUNE_VALIDATION_DAYS: '1',
    });
    db = t.app.get(DataSource);
  }, 300_000);

  afterAll(async () => {
    await t?.close();
  });

  const count = async (sql: string): Promise<number> => {
    const rows: Array<{ n: number }> = await db.query(sql);
    return rows[0].n;
  };

  it('succeeds without a prior reindex, embedding the catalog and rebuilding the co-purchase lists', async () => {
    // The start-up co-purchase run (empty database) must be over before the import, so it cannot be the one
    // that fills the lists.
    for (
      let i = 0;
      (await count(`SELECT count(*)::int AS n FROM jobs WHERE status IN ('queued', 'running')`)) > 0;
      i++
    ) {
      if (i > 1200) throw new Error('start-up jobs did not finish');
      await new Promise((r) => setTimeout(r, 100));
    }
    const imported = await t.app.get(ImportService).onlineRetail(SLICE);
    expect(imported.items.upserted).toBeGreaterThan(0);
    expect(await count(`SELECT count(*)::int AS n FROM item_embeddings`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM item_neighbours`)).toBe(0);

    const res = await request(t.server).post('/v1/admin/finetune');
    expect(res.status).toBe(202);
    const id = res.body.jobId as string;
    let job: { status: string; error?: string; result?: Record<string, unknown> } = { status: 'queued' };
    for (let i = 0; i < 6000 && (job.status === 'queued' || job.status === 'running'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await request(t.server).get(`/v1/admin/jobs/${id}`)).body as typeof job;
    }
    expect({ status: job.status, error: job.error }).toEqual({ status: 'succeeded', error: undefined });

    const live = await count(`SELECT count(*)::int AS n FROM items WHERE deleted_at IS NULL`);
    expect(job.result).toMatchObject({ embedded: live });
    expect(await count(`SELECT count(*)::int AS n FROM item_embeddings`)).toBe(live);

    const neighbours = await count(`SELECT count(*)::int AS n FROM item_neighbours`);
    expect(neighbours).toBeGreaterThan(0);
    expect(job.result?.copurchase).toMatchObject({ neighbours });
    // 20725 LUNCH BAG RED RETROSPOT was bought with other lunch bags in the slice: it has a list.
    expect(
      await count(`SELECT count(*)::int AS n FROM item_neighbours WHERE item_id = '20725'`),
    ).toBeGreaterThan(0);
  }, 900_000);
});
