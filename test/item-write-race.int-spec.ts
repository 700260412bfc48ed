import { Client } from 'pg';
import request from 'supertest';
import { CatalogChanges } from '../src/catalog/catalog-changes';
import { CatalogSnapshot } from '../src/catalog/catalog-snapshot';
import { startTestApp, type TestApp } from './support/app';

/**
 * A PATCH racing a DELETE of the same item must never bring the item back: once a DELETE has answered 204,
 * the row stays deleted in PostgreSQL and the item answers 404 (read-then-upsert used to clear `deleted_at`).
 */
describe('item writes racing a delete (real PostgreSQL)', () => {
  const TRIALS = 100;
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    t = await startTestApp();
    db = new Client({ connectionString: t.db.url });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  it(`no resurrection over ${TRIALS} patch/delete pairs`, async () => {
    const ids = Array.from({ length: TRIALS }, (_, i) => `race-${i}`);
    const seeded = await request(t.server)
      .put('/v1/items')
      .send({ items: ids.map((id) => ({ id, title: `Item ${id}`, price: 1 })) });
    expect(seeded.status).toBe(200);
    expect(seeded.body.upserted).toBe(TRIALS);

    const outcomes: Array<{ id: string; patch: number; del: number }> = [];
    for (const [i, id] of ids.entries()) {
      const patch = () =>
        request(t.server)
          .patch(`/v1/items/${id}`)
          .send({ price: 2 + i, title: `New ${id}` });
      const del = () => request(t.server).delete(`/v1/items/${id}`);
      // Either request may reach the database first: alternate which one is sent first.
      const [p, d] =
        i % 2 === 0
          ? await Promise.all([patch(), del()])
          : await Promise.all([del(), patch()]).then(([dd, pp]) => [pp, dd] as const);
      outcomes.push({ id, patch: p.status, del: d.status });
    }

    for (const o of outcomes) {
      expect([200, 404]).toContain(o.patch);
      expect(o.del).toBe(204);
    }
    // The race was real: some patches landed before their delete, some found the item already gone or not.
    expect(outcomes.filter((o) => o.patch === 200).length).toBeGreaterThan(0);

    const live = await db.query<{ id: string }>(
      `SELECT id FROM items WHERE id = ANY($1) AND deleted_at IS NULL ORDER BY id`,
      [ids],
    );
    expect(live.rows.map((r) => r.id)).toEqual([]);
    for (const id of ids.slice(0, 10))
      expect((await request(t.server).get(`/v1/items/${id}`)).status).toBe(404);
  });

  it('a patch of a deleted item answers 404 and leaves it deleted; a PUT re-creates it', async () => {
    await request(t.server)
      .put('/v1/items')
      .send({ items: [{ id: 'gone-1', title: 'Gone' }] })
      .expect(200);
    await request(t.server).delete('/v1/items/gone-1').expect(204);
    const patched = await request(t.server).patch('/v1/items/gone-1').send({ price: 3 });
    expect(patched.status).toBe(404);
    expect(patched.headers['content-type']).toMatch(/^application\/problem\+json/);
    const row = await db.query(`SELECT deleted_at FROM items WHERE id = 'gone-1'`);
    expect(row.rows[0].deleted_at).not.toBeNull();

    // PUT sends the whole item: "this item exists", so a deleted one is created again, on purpose.
    await request(t.server)
      .put('/v1/items')
      .send({ items: [{ id: 'gone-1', title: 'Back' }] })
      .expect(200);
    const back = await request(t.server).get('/v1/items/gone-1');
    expect(back.status).toBe(200);
    expect(back.body.title).toBe('Back');
  });

  it('a patch that changes nothing leaves updated_at as it was; a real change moves it', async () => {
    await request(t.server)
      .put('/v1/items')
      .send({ items: [{ id: 'same-1', title: 'Same', price: 5 }] })
      .expect(200);
    const before = (await request(t.server).get('/v1/items/same-1')).body as { updatedAt: string };
    const same = await request(t.server).patch('/v1/items/same-1').send({ price: 5 });
    expect(same.status).toBe(200);
    expect(same.body.updatedAt).toBe(before.updatedAt);
    const changed = await request(t.server).patch('/v1/items/same-1').send({ price: 6 });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ id: 'same-1', title: 'Same', price: 6 });
    expect(changed.body.updatedAt).not.toBe(before.updatedAt);
  });
  it('a write announced after a racing delete was followed does not bring the item back into serving', async () => {
    // The order a soak of two servers produced: a PATCH commits, a DELETE commits and its notification is
    // followed, and only then does the PATCH's handler announce its (now stale) item to this process.
    await request(t.server)
      .put('/v1/items')
      .send({ items: [{ id: 'late-1', title: 'Late', price: 4 }] })
      .expect(200);
    const snapshot = t.app.get(CatalogSnapshot);
    const until = async (ok: () => boolean) => {
      // Up to 10 s: a change reaches the snapshot through PostgreSQL's notification and a re-read.
      for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
    };
    await until(() => snapshot.get('late-1') !== undefined);
    const stale = (await request(t.server).get('/v1/items/late-1').expect(200)).body;
    await db.query(`UPDATE items SET deleted_at = now(), updated_at = now() WHERE id = 'late-1'`);
    await until(() => snapshot.get('late-1') === undefined);
    expect(snapshot.get('late-1')).toBeUndefined();

    t.app.get(CatalogChanges).publish({ kind: 'upserted', ids: ['late-1'], items: [stale] });
    await until(() => snapshot.get('late-1') === undefined);
    expect(snapshot.get('late-1')).toBeUndefined();
  });
});
