import request from 'supertest';
import { startTestApp, type TestApp } from './support/app';

/**
 * Every malformed request is answered 400/413 as problem+json naming the bad fields, and writes nothing
 * (api.md "Conventions"). Each case checks the answer AND that the would-be rows do not exist afterwards.
 */

type Res = request.Response;

const KNOWN = ['known-1', 'known-2'];

const item = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  title: `Item ${id}`,
  price: 2.5,
  ...extra,
});
const event = (userId: string, extra: Record<string, unknown> = {}) => ({
  userId,
  itemId: 'known-1',
  type: 'view',
  ...extra,
});

/** Status, content type and RFC 9457 shape; returns the field paths of `errors` (empty when absent). */
function expectProblem(res: Res, status: number): string[] {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.body as Record<string, unknown>;
  expect(body).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
    }),
  );
  if (body.errors === undefined) return [];
  expect(Array.isArray(body.errors)).toBe(true);
  const errors = body.errors as unknown[];
  expect(errors.length).toBeGreaterThan(0);
  for (const e of errors) expect(e).toEqual({ path: expect.any(String), message: expect.any(String) });
  return errors.map((e) => (e as { path: string }).path);
}

/** A 400 whose `errors` name exactly these fields (order-insensitive, duplicates ignored). */
function expectFields(res: Res, paths: string[]): void {
  const got = expectProblem(res, 400);
  expect([...new Set(got)].sort()).toEqual([...new Set(paths)].sort());
}

describe('request validation (real PostgreSQL)', () => {
  let t: TestApp;

  const stats = async (): Promise<{ items: number; events: number; users: number }> => {
    const res = await request(t.server).get('/v1/admin/stats');
    expect(res.status).toBe(200);
    const { items, events, users } = res.body as { items: number; events: number; users: number };
    return { items, events, users };
  };
  const putItems = (body: unknown) =>
    request(t.server)
      .put('/v1/items')
      .send(body as object);
  const postEvents = (body: unknown) =>
    request(t.server)
      .post('/v1/events')
      .send(body as object);
  const expectNoItem = async (id: string) => {
    expect((await request(t.server).get(`/v1/items/${encodeURIComponent(id)}`)).status).toBe(404);
  };
  const expectNoHistory = async (userId: string) => {
    const res = await request(t.server).get(`/v1/users/${encodeURIComponent(userId)}/events`);
    expect(res.status).toBe(200);
    expect(res.body.events).toEqual([]);
  };
  /** Runs `send` and checks that the item and event counts are unchanged by it. */
  const writesNothing = async (send: () => Promise<Res>): Promise<Res> => {
    const before = await stats();
    const res = await send();
    expect(await stats()).toEqual(before);
    return res;
  };

  beforeAll(async () => {
    t = await startTestApp();
    const seeded = await putItems({ items: KNOWN.map((id) => item(id)) });
    expect(seeded.status).toBe(200);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('PUT /v1/items', () => {
    it('refuses malformed JSON', async () => {
      const res = await writesNothing(() =>
        request(t.server)
          .put('/v1/items')
          .set('Content-Type', 'application/json')
          .send('{"items":[{"id":"mal-1","title":"x"}'),
      );
      expectProblem(res, 400);
      await expectNoItem('mal-1');
    });

    it.each([
      ['a number for title', { items: [item('wt-1', { title: 42 })] }, ['items[0].title'], 'wt-1'],
      ['a number for id', { items: [{ id: 7, title: 'seven' }] }, ['items[0].id'], '7'],
      ['a string for items', { items: 'wt-2' }, ['items'], 'wt-2'],
      ['an object for an item', { items: ['wt-3'] }, ['items[0]'], 'wt-3'],
      [
        'a string for description',
        { items: [item('wt-4', { description: ['a'] })] },
        ['items[0].description'],
        'wt-4',
      ],
      ['a non-string category', { items: [item('wt-5', { category: 5 })] }, ['items[0].category'], 'wt-5'],
    ])('refuses wrong types: %s', async (_name, body, paths, id) => {
      const res = await writesNothing(() => putItems(body));
      expectFields(res, paths);
      await expectNoItem(id);
    });

    it('refuses an item without a title', async () => {
      const res = await writesNothing(() => putItems({ items: [item('ok-0'), { id: 'nt-1', price: 1 }] }));
      expectFields(res, ['items[1].title']);
      await expectNoItem('nt-1');
      await expectNoItem('ok-0');
    });

    it('refuses an item without an id', async () => {
      const res = await writesNothing(() => putItems({ items: [{ title: 'no id' }] }));
      expectFields(res, ['items[0].id']);
    });

    it('refuses a blank title', async () => {
      const res = await writesNothing(() => putItems({ items: [item('bt-1', { title: '   ' })] }));
      expectFields(res, ['items[0].title']);
      await expectNoItem('bt-1');
    });

    it('refuses a title over 1000 characters and accepts exactly 1000', async () => {
      const res = await writesNothing(() => putItems({ items: [item('lt-1', { title: 'x'.repeat(1001) })] }));
      expectFields(res, ['items[0].title']);
      await expectNoItem('lt-1');
      const ok = await putItems({ items: [item('lt-2', { title: 'x'.repeat(1000) })] });
      expect(ok.status).toBe(200);
    });

    it('refuses an id over 128 characters and accepts exactly 128', async () => {
      const long = 'i'.repeat(129);
      const res = await writesNothing(() => putItems({ items: [item(long)] }));
      expectFields(res, ['items[0].id']);
      const ok = await putItems({ items: [item('j'.repeat(128))] });
      expect(ok.status).toBe(200);
      expect((await request(t.server).get(`/v1/items/${'j'.repeat(128)}`)).status).toBe(200);
    });

    it.each([
      ['a space', 'has space'],
      ['#', 'hash#1'],
      ['é', 'café'],
      ['?', 'what?'],
      ['an empty string', ''],
    ])('refuses an id containing %s', async (_name, id) => {
      const res = await writesNothing(() => putItems({ items: [item('fine-1'), item(id)] }));
      expectFields(res, ['items[1].id']);
      await expectNoItem('fine-1');
    });

    it('accepts every allowed id character (letters, digits, -_.:@/)', async () => {
      const res = await putItems({ items: [item('Az09-_.:@/x')] });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ upserted: 1, unchanged: 0 });
    });

    it('refuses a negative price', async () => {
      const res = await writesNothing(() =>
        putItems({ items: [item('np-0'), item('np-1', { price: -0.01 })] }),
      );
      expectFields(res, ['items[1].price']);
      await expectNoItem('np-0');
      await expectNoItem('np-1');
    });

    it('refuses a numeric string as price', async () => {
      const res = await writesNothing(() => putItems({ items: [item('sp-1', { price: '3.5' })] }));
      expectFields(res, ['items[0].price']);
      await expectNoItem('sp-1');
    });

    it('refuses a non-boolean inStock', async () => {
      const res = await writesNothing(() => putItems({ items: [item('ib-1', { inStock: 'yes' })] }));
      expectFields(res, ['items[0].inStock']);
      await expectNoItem('ib-1');
    });

    it.each([
      ['an object', { size: { w: 1, h: 2 } }, 'items[0].attributes.size'],
      ['an array', { tags: ['a', 'b'] }, 'items[0].attributes.tags'],
      ['null', { colour: null }, 'items[0].attributes.colour'],
    ])('refuses an attribute value that is %s', async (_name, attributes, path) => {
      const res = await writesNothing(() => putItems({ items: [item('na-1', { attributes })] }));
      expectFields(res, [path]);
      await expectNoItem('na-1');
    });

    it('refuses the whole batch when one entry inside it is bad', async () => {
      const res = await writesNothing(() =>
        putItems({ items: [item('gb-1'), item('gb-2'), item('gb-3', { price: -1 }), item('gb-4')] }),
      );
      expectFields(res, ['items[2].price']);
      for (const id of ['gb-1', 'gb-2', 'gb-3', 'gb-4']) await expectNoItem(id);
    });

    it('names every bad field of a batch', async () => {
      const res = await writesNothing(() =>
        putItems({
          items: [item('mb-1', { price: -1 }), item('mb-2'), item('mb-3', { title: 1, inStock: 'no' })],
        }),
      );
      expectFields(res, ['items[0].price', 'items[2].title', 'items[2].inStock']);
    });

    it('refuses a request without a body', async () => {
      const res = await writesNothing(() => request(t.server).put('/v1/items'));
      expectProblem(res, 400);
    });

    it('refuses an empty object body', async () => {
      const res = await writesNothing(() => putItems({}));
      expectFields(res, ['items']);
    });

    it('refuses a JSON body that is not an object', async () => {
      const res = await writesNothing(() => putItems([item('arr-1')]));
      expectProblem(res, 400);
      await expectNoItem('arr-1');
    });

    it('refuses an empty items array', async () => {
      const res = await writesNothing(() => putItems({ items: [] }));
      expectFields(res, ['items']);
    });

    it('refuses duplicate ids within one batch', async () => {
      const res = await writesNothing(() =>
        putItems({ items: [item('dup-1'), item('dup-1', { price: 9 })] }),
      );
      expectFields(res, ['items[1].id']);
      await expectNoItem('dup-1');
    });

    it('refuses unknown fields of an item, naming them', async () => {
      const res = await writesNothing(() => putItems({ items: [item('uf-1', { colour: 'red', sku: 'x' })] }));
      expectFields(res, ['items[0].colour', 'items[0].sku']);
      await expectNoItem('uf-1');
    });

    it('refuses unknown top-level fields, naming them', async () => {
      const res = await writesNothing(() => putItems({ items: [item('uf-2')], upsert: true }));
      expectFields(res, ['upsert']);
      await expectNoItem('uf-2');
    });

    it('refuses a batch over 1,000 entries with 413', async () => {
      const items = Array.from({ length: 1001 }, (_, i) => item(`big-${i}`));
      const res = await writesNothing(() => putItems({ items }));
      expectProblem(res, 413);
      await expectNoItem('big-0');
      await expectNoItem('big-1000');
    });

    it('accepts a batch of exactly 1,000 entries', async () => {
      const items = Array.from({ length: 1000 }, (_, i) => item(`max-${i}`));
      const res = await putItems({ items });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ upserted: 1000, unchanged: 0 });
    });
  });

  describe('PATCH and path ids', () => {
    it('refuses a patch with a wrong type and leaves the item as it was', async () => {
      const res = await request(t.server).patch('/v1/items/known-1').send({ price: '1' });
      expectFields(res, ['price']);
      expect((await request(t.server).get('/v1/items/known-1')).body.price).toBe(2.5);
    });

    it('refuses an id in the URL with characters outside the allowed set, naming the parameter', async () => {
      expectFields(await request(t.server).get('/v1/items/caf%C3%A9'), ['id']);
      expectFields(await request(t.server).get(`/v1/items/${'k'.repeat(129)}`), ['id']);
      expectFields(await request(t.server).get('/v1/users/has%20space/events'), ['userId']);
    });
  });

  describe('POST /v1/events', () => {
    it('refuses malformed JSON', async () => {
      const res = await writesNothing(() =>
        request(t.server)
          .post('/v1/events')
          .set('Content-Type', 'application/json')
          .send('{"events":[{"userId":"mj-u","itemId":"known-1","type":"view"},]}'),
      );
      expectProblem(res, 400);
      await expectNoHistory('mj-u');
    });

    it('refuses a body that is not JSON with 415, naming the content type it takes', async () => {
      const res = await writesNothing(() =>
        request(t.server)
          .post('/v1/events')
          .set('Content-Type', 'application/xml')
          .send('<events><event userId="xml-u" itemId="known-1" type="view"/></events>'),
      );
      expectProblem(res, 415);
      expect(res.body.detail).toMatch(/application\/json/);
      await expectNoHistory('xml-u');
    });

    it.each([['null'], ['5'], ['"events"'], ['true']])(
      'refuses JSON %s at the top level as a body that must be an object, not as invalid JSON',
      async (text) => {
        const res = await writesNothing(() =>
          request(t.server).post('/v1/events').set('Content-Type', 'application/json').send(text),
        );
        expect(expectProblem(res, 400)).toEqual(['(body)']);
        expect(res.body.errors[0].message).toBe('must be a JSON object');
      },
    );

    it('still calls a body that does not parse invalid JSON', async () => {
      const res = await request(t.server)
        .post('/v1/events')
        .set('Content-Type', 'application/json')
        .send('nul');
      expectProblem(res, 400);
      expect(res.body.detail).toBe('The body is not valid JSON.');
    });

    it('reads an empty body with a JSON content type as no body, which events require', async () => {
      const res = await writesNothing(() =>
        request(t.server).post('/v1/events').set('Content-Type', 'application/json').send(''),
      );
      expect(expectProblem(res, 400)).toEqual(['(body)']);
    });

    it.each([
      ['a number for userId', { events: [event('x', { userId: 5 })] }, ['events[0].userId'], '5'],
      [
        'a string for value',
        { events: [event('wt-u1', { type: 'purchase', value: '3' })] },
        ['events[0].value'],
        'wt-u1',
      ],
      ['an object for events', { events: { userId: 'wt-u2' } }, ['events'], 'wt-u2'],
      [
        'a number for timestamp',
        { events: [event('wt-u3', { timestamp: 1714557600000 })] },
        ['events[0].timestamp'],
        'wt-u3',
      ],
    ])('refuses wrong types: %s', async (_name, body, paths, userId) => {
      const res = await writesNothing(() => postEvents(body));
      expectFields(res, paths);
      await expectNoHistory(userId);
    });

    it.each([
      ['userId', 'events[1].userId'],
      ['itemId', 'events[1].itemId'],
      ['type', 'events[1].type'],
    ])('refuses an event without %s', async (field, path) => {
      const bad: Record<string, unknown> = event('mf-u1');
      delete bad[field];
      const res = await writesNothing(() => postEvents({ events: [event('mf-u0'), bad] }));
      expectFields(res, [path]);
      await expectNoHistory('mf-u0');
      await expectNoHistory('mf-u1');
    });

    it('refuses ids over 128 characters', async () => {
      const res = await writesNothing(() =>
        postEvents({ events: [event('u'.repeat(129)), event('lid-u', { sessionId: 's'.repeat(129) })] }),
      );
      expectFields(res, ['events[0].userId', 'events[1].sessionId']);
      await expectNoHistory('lid-u');
    });

    it.each([
      ['a space', 'user one'],
      ['#', 'user#1'],
      ['é', 'usér'],
    ])('refuses a userId containing %s', async (_name, userId) => {
      const res = await writesNothing(() => postEvents({ events: [event('cid-ok'), event(userId)] }));
      expectFields(res, ['events[1].userId']);
      await expectNoHistory('cid-ok');
    });

    it('refuses unknown event types', async () => {
      const res = await writesNothing(() => postEvents({ events: [event('ut-u', { type: 'click' })] }));
      expectFields(res, ['events[0].type']);
      await expectNoHistory('ut-u');
    });

    it.each([
      ['prose', 'yesterday'],
      ['an impossible date', '2024-02-30T10:00:00Z'],
      ['no time zone', '2024-05-01T10:00:00'],
      ['an empty string', ''],
    ])('refuses an unparseable timestamp: %s', async (_name, timestamp) => {
      const res = await writesNothing(() => postEvents({ events: [event('ts-u', { timestamp })] }));
      expectFields(res, ['events[0].timestamp']);
      await expectNoHistory('ts-u');
    });

    it('refuses a timestamp more than 5 minutes in the future', async () => {
      const timestamp = new Date(Date.now() + 6 * 60 * 1000).toISOString();
      const res = await writesNothing(() => postEvents({ events: [event('fut-u', { timestamp })] }));
      expectFields(res, ['events[0].timestamp']);
      await expectNoHistory('fut-u');
    });

    it('accepts a timestamp 1 minute in the future', async () => {
      const timestamp = new Date(Date.now() + 60 * 1000).toISOString();
      const res = await postEvents({ events: [event('near-u', { timestamp })] });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ accepted: 1, duplicates: 0, unknownRecommIds: 0 });
      const history = await request(t.server).get('/v1/users/near-u/events');
      expect(history.body.events).toHaveLength(1);
      expect(Date.parse(history.body.events[0].timestamp)).toBe(Date.parse(timestamp));
    });

    it.each([
      ['0', { value: 0 }],
      ['6', { value: 6 }],
      ['missing', {}],
    ])('refuses a rating whose value is %s', async (_name, extra) => {
      const res = await writesNothing(() =>
        postEvents({ events: [event('rt-u', { type: 'rating', ...extra })] }),
      );
      expectFields(res, ['events[0].value']);
      await expectNoHistory('rt-u');
    });

    it('accepts ratings of 1 and 5', async () => {
      const res = await postEvents({
        events: [event('rt-ok', { type: 'rating', value: 1 }), event('rt-ok', { type: 'rating', value: 5 })],
      });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ accepted: 2, duplicates: 0, unknownRecommIds: 0 });
    });

    it('refuses events naming unknown items, listing them, and stores nothing of the batch', async () => {
      const res = await writesNothing(() =>
        postEvents({
          events: [
            event('unk-u1'),
            event('unk-u2', { itemId: 'ghost-1' }),
            event('unk-u1', { itemId: 'known-2', type: 'purchase', value: 2 }),
            event('unk-u2', { itemId: 'ghost-2' }),
            event('unk-u1', { itemId: 'ghost-1' }),
          ],
        }),
      );
      expectFields(res, ['events[1].itemId', 'events[3].itemId', 'events[4].itemId']);
      expect([...(res.body.unknownItemIds as string[])].sort()).toEqual(['ghost-1', 'ghost-2']);
      await expectNoHistory('unk-u1');
      await expectNoHistory('unk-u2');
    });

    it('treats a deleted item as unknown', async () => {
      expect((await putItems({ items: [item('gone-1')] })).status).toBe(200);
      expect((await request(t.server).delete('/v1/items/gone-1')).status).toBe(204);
      const res = await writesNothing(() => postEvents({ events: [event('del-u', { itemId: 'gone-1' })] }));
      expectProblem(res, 400);
      expect(res.body.unknownItemIds).toEqual(['gone-1']);
      await expectNoHistory('del-u');
    });

    it('refuses a batch over 1,000 entries with 413', async () => {
      const events = Array.from({ length: 1001 }, (_, i) => event(`bigu-${i % 3}`));
      const res = await writesNothing(() => postEvents({ events }));
      expectProblem(res, 413);
      await expectNoHistory('bigu-0');
    });

    it('refuses the whole batch when one entry inside it is bad', async () => {
      const res = await writesNothing(() =>
        postEvents({
          events: [
            event('gbe-u1'),
            event('gbe-u2', { type: 'purchase', value: 1 }),
            event('gbe-u3', { type: 'like' }),
            event('gbe-u4'),
          ],
        }),
      );
      expectFields(res, ['events[2].type']);
      for (const u of ['gbe-u1', 'gbe-u2', 'gbe-u3', 'gbe-u4']) await expectNoHistory(u);
    });

    it('refuses a request without a body', async () => {
      const res = await writesNothing(() => request(t.server).post('/v1/events'));
      expectProblem(res, 400);
    });

    it('refuses an empty object body', async () => {
      const res = await writesNothing(() => postEvents({}));
      expectFields(res, ['events']);
    });

    it('refuses an empty events array', async () => {
      const res = await writesNothing(() => postEvents({ events: [] }));
      expectFields(res, ['events']);
    });

    it('refuses unknown fields of an event, naming them', async () => {
      const res = await writesNothing(() => postEvents({ events: [event('ufe-u', { colour: 3 })] }));
      expectFields(res, ['events[0].colour']);
      await expectNoHistory('ufe-u');
    });
  });

  describe('GET /v1/users/:userId/events limit', () => {
    beforeAll(async () => {
      const base = Date.parse('2024-05-01T10:00:00Z');
      const events = Array.from({ length: 105 }, (_, i) =>
        event('lim-u', { timestamp: new Date(base + i * 1000).toISOString() }),
      );
      const res = await postEvents({ events });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ accepted: 105, duplicates: 0, unknownRecommIds: 0 });
    });

    it.each([
      ['0', 1],
      ['-5', 1],
      ['1', 1],
      ['3', 3],
      ['2.7', 2],
      ['1000', 100],
    ])('clamps limit=%s to %d results', async (limit, expected) => {
      const res = await request(t.server).get('/v1/users/lim-u/events').query({ limit });
      expect(res.status).toBe(200);
      expect(res.body.events).toHaveLength(expected);
    });

    it('refuses a non-numeric limit, naming it', async () => {
      expectFields(await request(t.server).get('/v1/users/lim-u/events?limit=abc'), ['limit']);
    });
  });
});

describe('body size limit (BODY_LIMIT=1kb)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT: '1kb' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 413 problem+json for an items body over the limit and writes nothing', async () => {
    const res = await request(t.server)
      .put('/v1/items')
      .send({ items: [{ id: 'huge-1', title: 't', description: 'd'.repeat(2000) }] });
    expectProblem(res, 413);
    expect((await request(t.server).get('/v1/items/huge-1')).status).toBe(404);
  });

  it('answers 413 problem+json for an events body over the limit and writes nothing', async () => {
    expect(
      (
        await request(t.server)
          .put('/v1/items')
          .send({ items: [{ id: 'small-1', title: 't' }] })
      ).status,
    ).toBe(200);
    const events = Array.from({ length: 30 }, (_, i) => ({
      userId: 'huge-u',
      itemId: 'small-1',
      type: 'view',
      eventId: `e-${i}`,
    }));
    const res = await request(t.server).post('/v1/events').send({ events });
    expectProblem(res, 413);
    const history = await request(t.server).get('/v1/users/huge-u/events');
    expect(history.body.events).toEqual([]);
  });

  it('still accepts a body under the limit', async () => {
    const res = await request(t.server)
      .put('/v1/items')
      .send({ items: [{ id: 'small-2', title: 't' }] });
    expect(res.status).toBe(200);
  });
});
