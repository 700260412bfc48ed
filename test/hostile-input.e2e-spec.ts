import request from 'supertest';
import { startTestApp, type TestApp } from './support/app';

/**
 * Strings PostgreSQL cannot store (NUL, unpaired UTF-16 surrogates) and script URLs in `imageUrl` are refused
 * with 400 naming the field, and nothing is written. Bodies are sent as raw JSON text so the escapes reach the
 * server exactly as a hostile client writes them.
 */

type Res = request.Response;

const NUL = '\\u0000';
const LONE_HIGH = '\\ud800';
const LONE_LOW = '\\udc00';

/** The field paths of a 400 problem answer. */
function fieldsOf(res: Res): string[] {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const errors = (res.body as { errors?: Array<{ path: string; message: string }> }).errors ?? [];
  return [...new Set(errors.map((e) => e.path))].sort();
}

describe('hostile input (real PostgreSQL)', () => {
  let t: TestApp;

  const sendJson = (method: 'put' | 'patch' | 'post', path: string, json: string) =>
    request(t.server)[method](path).set('Content-Type', 'application/json').send(json);
  const itemCount = async () => (await request(t.server).get('/v1/admin/stats')).body.items as number;

  beforeAll(async () => {
    t = await startTestApp();
    await request(t.server)
      .put('/v1/items')
      .send({ items: [{ id: 'known-1', title: 'Known', imageUrl: 'https://cdn.example.com/k.png' }] })
      .expect(200);
  });
  afterAll(async () => {
    await t.close();
  });

  describe.each([
    ['NUL', NUL],
    ['a lone high surrogate', LONE_HIGH],
    ['a lone low surrogate', LONE_LOW],
  ])('%s', (_, bad) => {
    it.each([
      ['title', `"title":"a${bad}b"`],
      ['description', `"title":"t","description":"x${bad}"`],
      ['category', `"title":"t","category":"Home/${bad}"`],
      ['brand', `"title":"t","brand":"${bad}"`],
      ['attributes.color', `"title":"t","attributes":{"color":"re${bad}d"}`],
      ['attributes', `"title":"t","attributes":{"co${bad}lor":"red"}`],
    ])('in an item %s: 400 naming it, nothing written', async (field, fields) => {
      const before = await itemCount();
      const res = await sendJson(
        'put',
        '/v1/items',
        `{"items":[{"id":"ok-1",${fields}},{"id":"ok-2","title":"fine"}]}`,
      );
      expect(fieldsOf(res)).toEqual([`items[0].${field}`]);
      expect(await itemCount()).toBe(before);
      expect((await request(t.server).get('/v1/items/ok-2')).status).toBe(404);
    });

    it('in a patch: 400 naming the field, the item unchanged', async () => {
      const res = await sendJson('patch', '/v1/items/known-1', `{"title":"x${bad}","brand":"b${bad}"}`);
      expect(fieldsOf(res)).toEqual(['brand', 'title']);
      expect((await request(t.server).get('/v1/items/known-1')).body.title).toBe('Known');
    });

    it.each(['userId', 'itemId', 'sessionId', 'eventId', 'type', 'timestamp'])(
      'in an event %s: 400 naming it, nothing written',
      async (field) => {
        const event: Record<string, string> = { userId: 'hostile-u', itemId: 'known-1', type: 'view' };
        event[field] = `x${bad}`;
        const json = `{"events":[{${Object.entries(event)
          .map(([k, v]) => `"${k}":"${v}"`)
          .join(',')}}]}`;
        const res = await sendJson('post', '/v1/events', json);
        expect(fieldsOf(res)).toEqual([`events[0].${field}`]);
        const history = await request(t.server).get('/v1/users/hostile-u/events');
        expect(history.body.events).toEqual([]);
      },
    );

    it('in a session text query or category: 400 naming it', async () => {
      expect(fieldsOf(await sendJson('post', '/v1/recommendations', `{"text":"lamp${bad}"}`))).toEqual([
        'text',
      ]);
      expect(
        fieldsOf(await sendJson('post', '/v1/recommendations', `{"text":"lamp","category":"a${bad}"}`)),
      ).toEqual(['category']);
    });
  });

  it('ids in the URL with NUL: 400 naming the parameter', async () => {
    for (const raw of ['%00', 'a%00b'])
      expect(fieldsOf(await request(t.server).get(`/v1/items/${raw}`))).toEqual(['id']);
  });

  it('keeps well-formed non-ASCII text, including characters outside the BMP (surrogate pairs)', async () => {
    const res = await sendJson(
      'put',
      '/v1/items',
      '{"items":[{"id":"emoji-1","title":"Lamp \\ud83d\\udca1 Überzug","attributes":{"f\\u00e4rbe":"\\ud83d\\udd34"}}]}',
    );
    expect(res.status).toBe(200);
    const got = await request(t.server).get('/v1/items/emoji-1');
    expect(got.body.title).toBe('Lamp 💡 Überzug');
    expect(got.body.attributes).toEqual({ färbe: '🔴' });
  });

  describe('imageUrl', () => {
    it.each([
      'javascript:alert(document.cookie)',
      'JavaScript:alert(1)',
      'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
      'data:image/png;base64,iVBORw0KGgo=',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      'ftp://files.example.com/a.png',
      '//cdn.example.com/a.png',
    ])('refuses %s, naming items[i].imageUrl', async (url) => {
      const before = await itemCount();
      const res = await request(t.server)
        .put('/v1/items')
        .send({
          items: [
            { id: 'img-ok', title: 'fine', imageUrl: 'https://cdn.example.com/a.png' },
            { id: 'img-bad', title: 'bad', imageUrl: url },
          ],
        });
      expect(fieldsOf(res)).toEqual(['items[1].imageUrl']);
      expect(await itemCount()).toBe(before);
    });

    it('refuses a script URL in a patch and keeps the old one', async () => {
      const res = await request(t.server)
        .patch('/v1/items/known-1')
        .send({ imageUrl: 'javascript:alert(1)' });
      expect(fieldsOf(res)).toEqual(['imageUrl']);
      expect((await request(t.server).get('/v1/items/known-1')).body.imageUrl).toBe(
        'https://cdn.example.com/k.png',
      );
    });

    it('accepts http and https URLs, and null', async () => {
      const res = await request(t.server)
        .put('/v1/items')
        .send({
          items: [
            { id: 'img-1', title: 'a', imageUrl: 'http://cdn.example.com/a.png' },
            { id: 'img-2', title: 'b', imageUrl: 'https://cdn.example.com/b.png?w=200' },
            { id: 'img-3', title: 'c', imageUrl: null },
          ],
        });
      expect(res.status).toBe(200);
      expect((await request(t.server).get('/v1/items/img-2')).body.imageUrl).toBe(
        'https://cdn.example.com/b.png?w=200',
      );
    });
  });

  it('a malformed job id is reported under the parameter name jobId', async () => {
    const res = await request(t.server).get('/v1/admin/jobs/not-a-uuid');
    expect(fieldsOf(res)).toEqual(['jobId']);
  });
});
