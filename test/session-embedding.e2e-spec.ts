import request from 'supertest';
import { ItemsRepository } from '../src/catalog/items.repository';
import type { Encoder } from '../src/embeddings/encoder.port';
import { EncoderProvider } from '../src/embeddings/encoder.provider';
import { startTestApp, type TestApp } from './support/app';

/**
 * What one POST /v1/recommendations may cost the encoder: session items the index does not hold yet are read
 * in one query and embedded in one call, at most SESSION_EMBED_MAX of them; a text query is embedded once; and
 * when the encoder's queue is full the answer is a 503 problem with Retry-After, not an ever longer wait.
 * The encoder is the real one; the test only counts the calls it receives.
 */

const INDEXED = Array.from({ length: 8 }, (_, i) => ({
  id: `idx-${i}`,
  title: `LUNCH BAG ${['RED', 'PINK', 'BLUE', 'GREEN', 'SPOT', 'STRIPE', 'DOT', 'STAR'][i]} RETROSPOT`,
  category: 'Bags',
}));
/** Added after the reindex: unknown to the index. Titles say their position in the session. */
const FRESH = Array.from({ length: 30 }, (_, i) => ({
  id: `fresh-${i}`,
  title: `JUMBO SHOPPER BAG NUMBER ${i}`,
  category: 'Bags',
}));

async function waitForJob(t: TestApp, id: string): Promise<void> {
  for (let i = 0; i < 1800; i++) {
    const j = await request(t.server).get(`/v1/admin/jobs/${id}`);
    if (j.body.status === 'succeeded') return;
    if (j.body.status === 'failed') throw new Error(`job failed: ${j.body.error}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} did not finish`);
}

describe('session embedding on the request path (real encoder and PostgreSQL)', () => {
  let t: TestApp;
  let encode: jest.SpyInstance<Promise<Float32Array[]>, Parameters<Encoder['encode']>>;
  let findById: jest.SpyInstance;
  let findMany: jest.SpyInstance;

  beforeAll(async () => {
    t = await startTestApp({ REINDEX_DEBOUNCE_MS: '0', JOBS_POLL_MS: '100', SESSION_EMBED_MAX: '20' });
    expect((await request(t.server).put('/v1/items').send({ items: INDEXED })).status).toBe(200);
    const job = await request(t.server).post('/v1/admin/reindex').send({ full: true });
    await waitForJob(t, job.body.jobId as string);
    expect((await request(t.server).put('/v1/items').send({ items: FRESH })).status).toBe(200);
    const encoder = await t.app.get(EncoderProvider).get();
    encode = jest.spyOn(encoder, 'encode');
    const items = t.app.get(ItemsRepository);
    findById = jest.spyOn(items, 'findById');
    findMany = jest.spyOn(items, 'findMany');
  }, 600_000);

  afterAll(async () => {
    jest.restoreAllMocks();
    await t?.close();
  });

  beforeEach(() => {
    encode.mockClear();
    findById.mockClear();
    findMany.mockClear();
  });

  it('embeds unknown session items in one call with one read, capped at SESSION_EMBED_MAX (the most recent)', async () => {
    const res = await request(t.server)
      .post('/v1/recommendations')
      .send({ itemIds: FRESH.map((f) => f.id), limit: 5, explain: true });
    expect(res.status).toBe(200);
    expect(encode).toHaveBeenCalledTimes(1);
    const [texts, options] = encode.mock.calls[0];
    expect(texts).toHaveLength(20);
    // The last 20 of the session (items 10–29), never the oldest ten.
    for (let i = 10; i < 30; i++) expect(texts.some((x) => x.includes(`NUMBER ${i}`))).toBe(true);
    for (let i = 0; i < 10; i++) expect(texts.some((x) => x.endsWith(`NUMBER ${i}`))).toBe(false);
    expect(options).toEqual({ lane: 'interactive' });
    expect(findById).not.toHaveBeenCalled();
    expect(findMany).toHaveBeenCalledTimes(1);
    // Session items are never recommended back, embedded or not; the list comes from the index.
    const ids = (res.body.items as Array<{ id: string; reason: { type: string; itemIds: string[] } }>).map(
      (i) => i.id,
    );
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(id).toMatch(/^idx-/);
    for (const item of res.body.items as Array<{ reason: { type: string; itemIds: string[] } }>) {
      expect(item.reason.type).toBe('similar-to');
      expect(Number(item.reason.itemIds[0].slice('fresh-'.length))).toBeGreaterThanOrEqual(10);
    }
  });

  it('reads nothing and embeds nothing for session items the index holds', async () => {
    const res = await request(t.server)
      .post('/v1/recommendations')
      .send({ itemIds: ['idx-0', 'idx-1'], limit: 3 });
    expect(res.status).toBe(200);
    expect(encode).not.toHaveBeenCalled();
    expect(findMany).not.toHaveBeenCalled();
  });

  it('embeds a text query once per request', async () => {
    const res = await request(t.server).post('/v1/recommendations').send({ text: 'lunch bag', limit: 3 });
    expect(res.status).toBe(200);
    expect(res.body.strategy).toBe('semantic-search');
    expect(encode).toHaveBeenCalledTimes(1);
    // The catalog writes titles in capitals: the query is embedded in that case, once.
    expect(encode.mock.calls[0][0]).toEqual(['LUNCH BAG']);
    expect((res.body.items as Array<{ id: string }>).every((i) => i.id.startsWith('idx-'))).toBe(true);
  });
});

describe('a full encoder queue (real encoder, EMBED_QUEUE_MAX=1)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ REINDEX_DEBOUNCE_MS: '0', EMBED_QUEUE_MAX: '1', EMBED_WORKERS: '1' });
    expect((await request(t.server).put('/v1/items').send({ items: INDEXED })).status).toBe(200);
    // Started before the burst, so the burst meets a warm encoder and not a model load.
    await t.app.get(EncoderProvider).get();
  }, 600_000);

  afterAll(async () => {
    await t?.close();
  });

  it('answers 503 problem+json with Retry-After to what does not fit, and serves the rest', async () => {
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        request(t.server)
          .post('/v1/recommendations')
          .send({ text: `a rather long shopper query about lunch bags and jumbo shoppers, variant ${i}` }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    const refused = answers.filter((a) => a.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(r.headers['retry-after']).toBe('1');
      expect(r.body).toMatchObject({ status: 503, title: 'Service Unavailable' });
    }
    // Once the burst is over the encoder serves again.
    expect((await request(t.server).post('/v1/recommendations').send({ text: 'lunch bag' })).status).toBe(
      200,
    );
  });
});
