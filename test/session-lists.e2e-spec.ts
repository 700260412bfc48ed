import request from 'supertest';
import { PurchaseSignalsService } from '../src/recommendations/purchase-signals.service';
import { startTestApp, type TestApp } from './support/app';

/**
 * A cart's list uses what shoppers did, not only what items say: B (a soap) follows A (a picnic hamper) in
 * every buyer's next basket, and the cart of A gets B first — although six hampers are far closer to A by
 * text. Hand-made catalog and events through the API, the real encoder, job and PostgreSQL.
 */
const A = 'hamper';
const B = 'soap';
const SIBLINGS = ['RED', 'BLUE', 'GREEN', 'PINK', 'LARGE', 'SMALL'].map((c, i) => ({
  id: `hamper-${i}`,
  title: `WOODEN PICNIC HAMPER ${c}`,
  category: 'Outdoor/Picnic',
}));
const ITEMS = [
  { id: A, title: 'WOODEN PICNIC HAMPER', category: 'Outdoor/Picnic' },
  { id: B, title: 'LAVENDER SOAP BAR', category: 'Bath/Soap' },
  ...SIBLINGS,
];
const BUYERS = ['u1', 'u2', 'u3', 'u4'];
const day = (d: number, h: number) => new Date(Date.UTC(2026, 0, d, h)).toISOString();

async function waitForJob(t: TestApp, id: string): Promise<void> {
  for (let i = 0; i < 1800; i++) {
    const j = await request(t.server).get(`/v1/admin/jobs/${id}`);
    if (j.body.status === 'succeeded') return;
    if (j.body.status === 'failed') throw new Error(`job failed: ${j.body.error}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} did not finish`);
}

type Listed = { id: string; reason?: { type: string; itemIds?: string[] } };

describe('session lists: co-purchase and transitions (real encoder, job and PostgreSQL)', () => {
  let t: TestApp;
  let strategy = '';
  const cart = async (): Promise<Listed[]> => {
    const res = await request(t.server)
      .post('/v1/recommendations')
      .send({ itemIds: [A], limit: 3, explain: true });
    expect(res.status).toBe(200);
    strategy = res.body.strategy as string;
    return res.body.items as Listed[];
  };

  beforeAll(async () => {
    t = await startTestApp({ REINDEX_DEBOUNCE_MS: '0', JOBS_POLL_MS: '100', STATS_REFRESH_MS: '0' });
    expect((await request(t.server).put('/v1/items').send({ items: ITEMS })).status).toBe(200);
    await waitForJob(t, (await request(t.server).post('/v1/admin/reindex').send({ full: true })).body.jobId);
  }, 600_000);

  afterAll(async () => {
    await t?.close();
  });

  it('puts the item that follows the cart item in the data first, by transition, over text neighbours', async () => {
    // Without purchase data, the cart of A is its text neighbours: the soap is nowhere near.
    const before = await cart();
    expect(before.map((i) => i.id)).not.toContain(B);
    expect(before.every((i) => i.id.startsWith('hamper-'))).toBe(true);
    expect(strategy).toBe('session:vector');

    // Each buyer: A in one basket, B in the next (a day later); one of them also a sibling with A.
    const events = BUYERS.flatMap((u, k) => [
      { userId: u, itemId: A, type: 'purchase', timestamp: day(2 + k, 10) },
      { userId: u, itemId: B, type: 'purchase', timestamp: day(3 + k, 10) },
    ]);
    events.push({ userId: 'u5', itemId: 'hamper-0', type: 'purchase', timestamp: day(2, 9) });
    const posted = await request(t.server).post('/v1/events').send({ events });
    expect(posted.status).toBe(202);
    const job = await request(t.server).post('/v1/admin/copurchase');
    expect(job.status).toBe(202);
    await waitForJob(t, job.body.jobId as string);
    const model = t.app.get(PurchaseSignalsService);
    for (let i = 0; i < 100 && model.current().transitionItems === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    // P(B | A) = 4/4: every basket holding A was followed by one holding B.
    expect([...model.current().transitionsOf(A).ids]).toEqual([B]);

    const after = await cart();
    expect(after[0]).toEqual(
      expect.objectContaining({ id: B, reason: { type: 'bought-after', itemIds: [A] } }),
    );
    // The rest of the list is still the shopper's theme.
    expect(after.slice(1).every((i) => i.id.startsWith('hamper-'))).toBe(true);
    expect(strategy).toBe('session:transitions+vector');
  }, 120_000);
});
