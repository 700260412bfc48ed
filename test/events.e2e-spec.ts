import request from 'supertest';
import { startTestApp, type TestApp } from './support/app';

interface HistoryEvent {
  eventId?: string;
  itemId: string;
  type: string;
  value?: number;
  sessionId?: string;
  timestamp: string;
}

describe('events API (real PostgreSQL)', () => {
  let t: TestApp;

  const ingest = (events: Array<Record<string, unknown>>) =>
    request(t.server).post('/v1/events').send({ events });
  const history = async (userId: string, limit?: number): Promise<HistoryEvent[]> => {
    const res = await request(t.server)
      .get(`/v1/users/${userId}/events`)
      .query(limit === undefined ? {} : { limit });
    expect(res.status).toBe(200);
    expect(res.body.userId).toBe(userId);
    return res.body.events as HistoryEvent[];
  };
  const stats = async (): Promise<{ items: number; users: number; events: number }> => {
    const res = await request(t.server).get('/v1/admin/stats');
    expect(res.status).toBe(200);
    return res.body as { items: number; users: number; events: number };
  };

  beforeAll(async () => {
    t = await startTestApp();
    const res = await request(t.server)
      .put('/v1/items')
      .send({ items: ['p1', 'p2', 'p3'].map((id) => ({ id, title: `Product ${id}`, price: 1 })) });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await t.close();
  });

  it('ingests a batch: 202 with accepted and duplicates, every field kept', async () => {
    const res = await ingest([
      { userId: 'u-basic', itemId: 'p1', type: 'view', sessionId: 's-1', timestamp: '2024-05-01T10:00:00Z' },
      { userId: 'u-basic', itemId: 'p2', type: 'add_to_cart', timestamp: '2024-05-01T10:01:00Z' },
      {
        userId: 'u-basic',
        itemId: 'p2',
        type: 'purchase',
        value: 3,
        timestamp: '2024-05-01T10:02:00Z',
        eventId: 'b-1',
      },
      { userId: 'u-basic', itemId: 'p3', type: 'rating', value: 4, timestamp: '2024-05-01T12:03:00+02:00' },
    ]);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 4, duplicates: 0, unknownRecommIds: 0 });
    expect(await history('u-basic')).toEqual([
      { itemId: 'p3', type: 'rating', value: 4, timestamp: '2024-05-01T10:03:00.000Z' },
      { eventId: 'b-1', itemId: 'p2', type: 'purchase', value: 3, timestamp: '2024-05-01T10:02:00.000Z' },
      { itemId: 'p2', type: 'add_to_cart', timestamp: '2024-05-01T10:01:00.000Z' },
      { itemId: 'p1', type: 'view', sessionId: 's-1', timestamp: '2024-05-01T10:00:00.000Z' },
    ]);
  });

  it('stores a repeated eventId once: twice in one batch and again in a later batch', async () => {
    const e = (eventId: string, itemId: string, minute: number) => ({
      userId: 'u-idem',
      itemId,
      type: 'purchase',
      value: 1,
      eventId,
      timestamp: `2024-05-02T10:0${minute}:00Z`,
    });
    const first = await ingest([e('idem-1', 'p1', 1), e('idem-1', 'p1', 1), e('idem-2', 'p2', 2)]);
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ accepted: 2, duplicates: 1, unknownRecommIds: 0 });

    const second = await ingest([e('idem-1', 'p1', 1), e('idem-3', 'p3', 3), e('idem-2', 'p2', 2)]);
    expect(second.status).toBe(202);
    expect(second.body).toEqual({ accepted: 1, duplicates: 2, unknownRecommIds: 0 });

    // A retried eventId with different content is still the same event: the first one stays.
    const changed = await ingest([{ ...e('idem-3', 'p1', 5), value: 9 }]);
    expect(changed.body).toEqual({ accepted: 0, duplicates: 1, unknownRecommIds: 0 });

    const stored = await history('u-idem');
    expect(stored.map((h) => h.eventId)).toEqual(['idem-3', 'idem-2', 'idem-1']);
    expect(stored[0]).toMatchObject({ itemId: 'p3', value: 1 });
  });

  it('counts an eventId already used by another user as a duplicate too (the key is global)', async () => {
    const res = await ingest([{ userId: 'u-other-key', itemId: 'p1', type: 'view', eventId: 'idem-1' }]);
    expect(res.body).toEqual({ accepted: 0, duplicates: 1, unknownRecommIds: 0 });
    expect(await history('u-other-key')).toEqual([]);
  });

  it('always stores events without an eventId, even identical ones', async () => {
    const same = { userId: 'u-noid', itemId: 'p1', type: 'view', timestamp: '2024-05-03T10:00:00Z' };
    const first = await ingest([same, same]);
    expect(first.body).toEqual({ accepted: 2, duplicates: 0, unknownRecommIds: 0 });
    const second = await ingest([same]);
    expect(second.body).toEqual({ accepted: 1, duplicates: 0, unknownRecommIds: 0 });
    expect(await history('u-noid')).toHaveLength(3);
  });

  it('defaults the timestamp to now', async () => {
    const before = Date.now();
    const res = await ingest([{ userId: 'u-now', itemId: 'p1', type: 'view' }]);
    const after = Date.now();
    expect(res.status).toBe(202);
    const [stored] = await history('u-now');
    expect(stored).toBeDefined();
    const at = Date.parse(stored.timestamp);
    expect(at).toBeGreaterThanOrEqual(before - 2000);
    expect(at).toBeLessThanOrEqual(after + 2000);
  });

  it('returns history newest first, cut at limit', async () => {
    const at = (h: number) => `2024-05-04T${String(h).padStart(2, '0')}:00:00Z`;
    // Sent out of order: the order comes from the timestamps, not from arrival.
    const res = await ingest([
      { userId: 'u-order', itemId: 'p2', type: 'view', timestamp: at(12) },
      { userId: 'u-order', itemId: 'p1', type: 'view', timestamp: at(9) },
      { userId: 'u-order', itemId: 'p3', type: 'view', timestamp: at(15) },
      { userId: 'u-order', itemId: 'p1', type: 'purchase', value: 1, timestamp: at(11) },
    ]);
    expect(res.body).toEqual({ accepted: 4, duplicates: 0, unknownRecommIds: 0 });
    const all = await history('u-order');
    expect(all.map((h) => h.timestamp)).toEqual(
      [at(15), at(12), at(11), at(9)].map((s) => new Date(s).toISOString()),
    );
    const two = await history('u-order', 2);
    expect(two.map((h) => h.itemId)).toEqual(['p3', 'p2']);
  });

  it('returns an empty history for a user never seen', async () => {
    expect(await history('u-nobody')).toEqual([]);
  });

  it("DELETE /v1/users/:id erases that user's events and no one else's", async () => {
    const others = ['u-basic', 'u-idem', 'u-noid', 'u-order'];
    const before = await Promise.all(others.map((u) => history(u)));
    const statsBefore = await stats();
    expect(await history('u-order')).toHaveLength(4);

    const res = await request(t.server).delete('/v1/users/u-order');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');

    expect(await history('u-order')).toEqual([]);
    expect(await Promise.all(others.filter((u) => u !== 'u-order').map((u) => history(u)))).toEqual(
      before.filter((_, i) => others[i] !== 'u-order'),
    );
    expect(await stats()).toMatchObject({ users: statsBefore.users - 1, events: statsBefore.events - 4 });
  });

  it('DELETE /v1/users/:id of an unknown user is still 204 (erasure is idempotent)', async () => {
    expect((await request(t.server).delete('/v1/users/u-never')).status).toBe(204);
    expect((await request(t.server).delete('/v1/users/u-order')).status).toBe(204);
  });

  it('lets an erased user start over', async () => {
    const res = await ingest([{ userId: 'u-order', itemId: 'p1', type: 'view' }]);
    expect(res.body).toEqual({ accepted: 1, duplicates: 0, unknownRecommIds: 0 });
    expect(await history('u-order')).toHaveLength(1);
    expect((await request(t.server).delete('/v1/users/u-order')).status).toBe(204);
  });

  it('counts users and events in admin stats', async () => {
    // Everything ingested above: u-basic 4, u-idem 3, u-noid 3, u-now 1 (u-order erased).
    expect(await stats()).toMatchObject({ items: 3, users: 4, events: 11 });
    const res = await ingest([
      { userId: 'u-stats-1', itemId: 'p1', type: 'view' },
      { userId: 'u-stats-2', itemId: 'p2', type: 'view' },
      { userId: 'u-stats-2', itemId: 'p3', type: 'view' },
    ]);
    expect(res.status).toBe(202);
    expect(await stats()).toMatchObject({ items: 3, users: 6, events: 14 });
  });
});
