import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { EmbeddingsService } from '../src/embeddings/embeddings.service';
import { ChangeFeed } from '../src/sync/change-feed';
import { IndexService } from '../src/vector-index/index.service';
import { AdvisoryLock } from '../src/database/locks';
import { IndexIncompleteError, IndexSupersededError } from '../src/vector-index/vector-index.errors';
import { startTestApp, type TestApp } from './support/app';

/**
 * A reindex builds from PostgreSQL's live items, not from what this process happens to hold in memory, and
 * refuses to publish an index that lacks live items.
 */

const ITEMS = 40;

describe('reindex reads PostgreSQL and verifies before publishing', () => {
  let t: TestApp;
  let pg: Client;

  beforeAll(async () => {
    t = await startTestApp({ REINDEX_DEBOUNCE_MS: '0', JOBS_POLL_MS: '100' });
    pg = new Client({ connectionString: t.db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg.end();
    await t.close();
  });

  async function reindex(): Promise<Record<string, unknown>> {
    const res = await request(t.server).post('/v1/admin/reindex').send({ full: false });
    expect(res.status).toBe(202);
    for (let i = 0; i < 1500; i++) {
      const job = await request(t.server).get(`/v1/admin/jobs/${res.body.jobId as string}`);
      if (job.body.status === 'succeeded' || job.body.status === 'failed')
        return job.body as Record<string, unknown>;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('reindex did not finish');
  }

  it('indexes items this process never heard of (written while it was not listening)', async () => {
    // This process stops following the change feed: its catalog snapshot stays empty, as a server's did
    // before the feed existed when another process imported the catalog.
    await t.app.get(ChangeFeed).onModuleDestroy();
    for (let i = 0; i < ITEMS; i++)
      await pg.query(
        `INSERT INTO items (id, title, category, price, in_stock, attributes, content_hash)
         VALUES ($1, $2, 'Kitchen', 3, true, '{}', $3)`,
        [`sql-${i}`, `Enamel mug number ${i} in colour ${i % 5}`, `${i}`.padStart(64, '0')],
      );
    const job = await reindex();
    expect(job.status).toBe('succeeded');
    expect((job.result as { index: { size: number } }).index.size).toBe(ITEMS);
    expect(t.app.get(IndexService).current()?.size).toBe(ITEMS);
  });

  it('refuses to publish an index missing a live item, and keeps the previous one serving', async () => {
    const index = t.app.get(IndexService);
    const current = () => fs.readFileSync(path.join(t.config.dataDir, 'index', 'CURRENT'), 'utf8');
    const before = current();
    const served = index.current();
    const { live } = await t.app.get(EmbeddingsService).catalogVectors();
    expect(live.size).toBe(ITEMS);
    // The vector of a live item disappears between the embedding step and the build.
    await pg.query(`DELETE FROM item_embeddings WHERE item_id = 'sql-7'`);

    const failed = index.rebuild(undefined, undefined, live);
    await expect(failed).rejects.toBeInstanceOf(IndexIncompleteError);
    await expect(failed).rejects.toThrow(/missing 1 of 40 live item\(s\) \(e\.g\. "sql-7"\)/);
    expect(current()).toBe(before);
    expect(index.current()).toBe(served);
    expect(index.current()?.size).toBe(ITEMS);
  });

  it('does not publish an index of the model it started under once another version was activated', async () => {
    await pg.query(`DELETE FROM jobs WHERE kind = 'reindex' AND status = 'queued'`);
    const index = t.app.get(IndexService);
    const current = () => fs.readFileSync(path.join(t.config.dataDir, 'index', 'CURRENT'), 'utf8');
    const before = current();
    const served = index.current();
    // Another process holds the activation lock: it has published its index and is about to mark its version.
    const other = new Client({ connectionString: t.db.url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [AdvisoryLock.IndexActivation]);
      const rebuild = index.rebuild();
      const outcome = rebuild.then(
        () => 'published',
        (e: unknown) => e,
      );
      await new Promise((r) => setTimeout(r, 1500));
      // This process's rebuild (following the raw model it serves) waits for the lock rather than publishing.
      expect(await Promise.race([outcome, Promise.resolve('waiting')])).toBe('waiting');
      // No weights: this process cannot adopt the version, so it keeps serving raw while the row says otherwise.
      await pg.query(
        `INSERT INTO model_versions (version, encoder_id, status, activated_at)
         VALUES ('ft-elsewhere', 'enc', 'active', now())`,
      );
      await other.query('SELECT pg_advisory_unlock($1)', [AdvisoryLock.IndexActivation]);
      const failure = await outcome;
      expect(failure).toBeInstanceOf(IndexSupersededError);
      expect((failure as IndexSupersededError).built).toBe('raw');
      expect((failure as IndexSupersededError).active).toBe('ft-elsewhere');
      expect(current()).toBe(before);
      expect(index.current()).toBe(served);
    } finally {
      await other.end();
      await pg.query(`DELETE FROM model_versions WHERE version = 'ft-elsewhere'`);
    }
    // With the version gone the raw model is the active one again, and the same rebuild publishes.
    const built = await index.rebuild();
    expect(built.modelVersion).toBe('raw');
    expect(current()).not.toBe(before);
  });
});
