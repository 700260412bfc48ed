import request from 'supertest';
import { startTestApp, type TestApp } from './support/app';

const item = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  title: `Item ${id}`,
  price: 2.5,
  category: 'Home/Lighting',
  ...extra,
});

describe('items API (real PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('upserts a batch and reports identical re-sends as unchanged', async () => {
    const first = await request(t.server)
      .put('/v1/items')
      .send({ items: [item('a1'), item('a2')] });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ upserted: 2, unchanged: 0 });

    const again = await request(t.server)
      .put('/v1/items')
      .send({ items: [item('a1'), item('a2', { price: 3 })] });
    expect(again.body).toEqual({ upserted: 1, unchanged: 1 });
  });

  it('gets an item with timestamps and defaults', async () => {
    const res = await request(t.server).get('/v1/items/a1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'a1', title: 'Item a1', price: 2.5, inStock: true, attributes: {} });
    expect(typeof res.body.createdAt).toBe('string');
    expect(typeof res.body.updatedAt).toBe('string');
  });

  it('patches only the given fields', async () => {
    const res = await request(t.server)
      .patch('/v1/items/a1')
      .send({ inStock: false, attributes: { colour: 'red' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: 'a1',
      title: 'Item a1',
      price: 2.5,
      inStock: false,
      attributes: { colour: 'red' },
    });
    const miss = await request(t.server).patch('/v1/items/nope').send({ price: 1 });
    expect(miss.status).toBe(404);
    expect(miss.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('deletes an item: gone for every reader, and re-upserting brings it back', async () => {
    expect((await request(t.server).delete('/v1/items/a2')).status).toBe(204);
    expect((await request(t.server).get('/v1/items/a2')).status).toBe(404);
    expect((await request(t.server).delete('/v1/items/a2')).status).toBe(404);
    expect((await request(t.server).patch('/v1/items/a2').send({ price: 1 })).status).toBe(404);
    const back = await request(t.server)
      .put('/v1/items')
      .send({ items: [item('a2', { price: 3 })] });
    expect(back.body).toEqual({ upserted: 1, unchanged: 0 });
    expect((await request(t.server).get('/v1/items/a2')).status).toBe(200);
  });

  it('serves OpenAPI, health and metrics', async () => {
    const docs = await request(t.server).get('/docs-json');
    expect(docs.status).toBe(200);
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining(['/v1/items', '/v1/events', '/v1/items/{id}']),
    );
    expect((await request(t.server).get('/docs/')).status).toBe(200);
    expect((await request(t.server).get('/health/live')).body).toEqual({ status: 'ok' });
    // api.md: ready only when an index is loaded or the catalog is empty — items exist and none is indexed yet.
    const ready = await request(t.server).get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(ready.body.checks).toMatchObject({ database: { status: 'up' }, vectorIndex: { status: 'down' } });
    const metrics = await request(t.server).get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain(
      'aisle_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/v1/items/:id"',
    );
  });

  it('reports counts in admin stats', async () => {
    const res = await request(t.server).get('/v1/admin/stats');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ items: 2, users: 0, events: 0 });
  });

  it('answers unknown routes with a problem+json 404', async () => {
    const res = await request(t.server).get('/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, title: 'Not Found' });
  });

  it('gets several items in one request, in the order asked, naming the ids it has no live item for', async () => {
    const put = await request(t.server)
      .put('/v1/items')
      .send({ items: [item('m1'), item('m2', { price: 9 }), item('m3'), item('m:4/x')] });
    expect(put.status).toBe(200);
    expect((await request(t.server).delete('/v1/items/m3')).status).toBe(204);

    const res = await request(t.server).get('/v1/items?ids=m2,nope,m1,m3,m2,m%3A4%2Fx');
    expect(res.status).toBe(200);
    expect((res.body.items as Array<{ id: string }>).map((i) => i.id)).toEqual(['m2', 'm1', 'm:4/x']);
    expect(res.body.missing).toEqual(['nope', 'm3']);
    // Each item exactly as GET /v1/items/:id answers it.
    for (const it of res.body.items as Array<{ id: string }>) {
      const one = await request(t.server).get(`/v1/items/${encodeURIComponent(it.id)}`);
      expect(it).toEqual(one.body);
    }

    const hundred = Array.from({ length: 100 }, (_, i) => `none-${i}`);
    const most = await request(t.server).get(`/v1/items?ids=${hundred.join(',')}`);
    expect(most.status).toBe(200);
    expect(most.body).toEqual({ items: [], missing: hundred });
    for (const bad of ['', '?ids=', `?ids=${[...hundred, 'one-more'].join(',')}`, '?ids=a,b%20c']) {
      const res400 = await request(t.server).get(`/v1/items${bad}`);
      expect(res400.status).toBe(400);
      expect(res400.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res400.body.errors[0].path).toBe('ids');
    }
  });
});
