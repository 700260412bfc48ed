// The default import is node's own fs object (not a copied namespace), so spying on it reaches sonic-boom.
import fs from 'node:fs';
import request from 'supertest';
import { startTestApp, type TestApp } from './support/app';

type Res = request.Response;

function expectProblem(res: Res, status: number): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
    }),
  );
}

describe('API keys and scopes', () => {
  let t: TestApp;
  const item = { id: 'auth-1', title: 'Lamp', price: 10 };

  beforeAll(async () => {
    t = await startTestApp({ API_KEYS: 'r1:read,w1:write,a1:read+write+admin' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 401 without a key, on every protected route, before looking at the body', async () => {
    expectProblem(await request(t.server).get('/v1/items/auth-1'), 401);
    expectProblem(
      await request(t.server)
        .put('/v1/items')
        .send({ items: [item] }),
      401,
    );
    expectProblem(await request(t.server).put('/v1/items').send({ nonsense: true }), 401);
    expectProblem(await request(t.server).post('/v1/events').send({ events: [] }), 401);
    expectProblem(await request(t.server).get('/v1/users/u1/events'), 401);
    expectProblem(await request(t.server).delete('/v1/users/u1'), 401);
    expectProblem(await request(t.server).get('/v1/admin/stats'), 401);
  });

  it('answers 401 for an empty or unknown key', async () => {
    expectProblem(await request(t.server).get('/v1/items/auth-1').set('X-API-Key', ''), 401);
    expectProblem(await request(t.server).get('/v1/items/auth-1').set('X-API-Key', 'nope'), 401);
    // A scope name or a prefix of a real key is not a key.
    expectProblem(await request(t.server).get('/v1/items/auth-1').set('X-API-Key', 'read'), 401);
    expectProblem(
      await request(t.server).get('/v1/items/auth-1').set('X-API-Key', 'a1:read+write+admin'),
      401,
    );
    expectProblem(await request(t.server).get('/v1/admin/stats').set('X-API-Key', 'A1'), 401);
  });

  it('answers 403 for a read key on writes, and writes nothing', async () => {
    expectProblem(
      await request(t.server)
        .put('/v1/items')
        .set('X-API-Key', 'r1')
        .send({ items: [item] }),
      403,
    );
    expect((await request(t.server).get('/v1/items/auth-1').set('X-API-Key', 'r1')).status).toBe(404);
    expectProblem(
      await request(t.server)
        .post('/v1/events')
        .set('X-API-Key', 'r1')
        .send({ events: [{ userId: 'u', itemId: 'x', type: 'view' }] }),
      403,
    );
    expectProblem(await request(t.server).delete('/v1/users/u1').set('X-API-Key', 'r1'), 403);
    expectProblem(await request(t.server).get('/v1/admin/stats').set('X-API-Key', 'r1'), 403);
  });

  it('answers 403 for a write key on admin and read routes', async () => {
    expectProblem(await request(t.server).get('/v1/admin/stats').set('X-API-Key', 'w1'), 403);
    expectProblem(await request(t.server).get('/v1/items/auth-1').set('X-API-Key', 'w1'), 403);
  });

  it('lets each key do what its scopes allow', async () => {
    const put = await request(t.server)
      .put('/v1/items')
      .set('X-API-Key', 'w1')
      .send({ items: [item] });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ upserted: 1, unchanged: 0 });
    const post = await request(t.server)
      .post('/v1/events')
      .set('X-API-Key', 'w1')
      .send({ events: [{ userId: 'u1', itemId: 'auth-1', type: 'view' }] });
    expect(post.status).toBe(202);
    const get = await request(t.server).get('/v1/items/auth-1').set('X-API-Key', 'r1');
    expect(get.status).toBe(200);
    expect(get.body).toMatchObject({ id: 'auth-1', title: 'Lamp' });
    const events = await request(t.server).get('/v1/users/u1/events').set('X-API-Key', 'r1');
    expect(events.status).toBe(200);
    expect(events.body.events).toHaveLength(1);
  });

  it('lets the admin key use admin, read and write routes', async () => {
    const stats = await request(t.server).get('/v1/admin/stats').set('X-API-Key', 'a1');
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ items: 1, users: 1, events: 1 });
    expect((await request(t.server).get('/v1/items/auth-1').set('X-API-Key', 'a1')).status).toBe(200);
    expect((await request(t.server).delete('/v1/users/u1').set('X-API-Key', 'a1')).status).toBe(204);
  });

  it('leaves health, metrics and docs open', async () => {
    expect((await request(t.server).get('/health/live')).status).toBe(200);
    // Readiness may be 503 (no index yet), but never an auth refusal.
    expect([200, 503]).toContain((await request(t.server).get('/health/ready')).status);
    const metrics = await request(t.server).get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('# TYPE');
    expect((await request(t.server).get('/docs-json')).status).toBe(200);
    expect((await request(t.server).get('/docs/')).status).toBe(200);
  });

  it('documents the X-API-Key scheme in OpenAPI', async () => {
    const docs = await request(t.server).get('/docs-json');
    expect(docs.body.components.securitySchemes).toEqual(
      expect.objectContaining({
        'api-key': expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
      }),
    );
  });
});

// Both request-log set-ups (common/request-logging.ts): pino-http mounted by the app, or nestjs-pino's middleware
// with a request context.
describe.each(['off', 'on'])('API keys in logs (LOG_REQUEST_CONTEXT=%s)', (context) => {
  const KEY = 'a1-secret-value';
  let t: TestApp;
  let captured: string[] = [];
  const spies: jest.SpyInstance[] = [];

  const text = (chunk: unknown): string =>
    typeof chunk === 'string'
      ? chunk
      : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array
        ? Buffer.from(chunk).toString('utf8')
        : '';

  beforeAll(async () => {
    t = await startTestApp({
      LOG_LEVEL: 'info',
      LOG_REQUEST_CONTEXT: context,
      API_KEYS: `${KEY}:read+write+admin,other-key:read`,
    });
  });
  afterAll(async () => {
    for (const s of spies) s.mockRestore();
    await t.close();
  });

  beforeEach(() => {
    captured = [];
    // pino writes to fd 1 through sonic-boom (fs.write / fs.writeSync), not through process.stdout.write:
    // both paths are captured, and swallowed so the test output stays readable.
    spies.push(
      jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
        captured.push(text(chunk));
        return true;
      }),
    );
    const realWrite = fs.write;
    spies.push(
      jest.spyOn(fs, 'write').mockImplementation((fd: number, buffer: unknown, ...rest: unknown[]) => {
        if (fd !== 1) return (realWrite as (...a: unknown[]) => void)(fd, buffer, ...rest);
        captured.push(text(buffer));
        const cb = rest.find((r): r is (err: null, n: number) => void => typeof r === 'function');
        const n = Buffer.byteLength(typeof buffer === 'string' ? buffer : text(buffer));
        if (cb) process.nextTick(cb, null, n);
      }),
    );
    const realWriteSync = fs.writeSync;
    spies.push(
      jest.spyOn(fs, 'writeSync').mockImplementation((fd: number, buffer: unknown, ...rest: unknown[]) => {
        if (fd !== 1) return (realWriteSync as (...a: unknown[]) => number)(fd, buffer, ...rest);
        const s = text(buffer);
        captured.push(s);
        return Buffer.byteLength(s);
      }),
    );
  });
  afterEach(() => {
    while (spies.length > 0) spies.pop()!.mockRestore();
  });

  /** Log lines arrive asynchronously after the response: wait until the request's line shows up. */
  async function logLineFor(requestId: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 100; i++) {
      const lines = captured
        .join('')
        .split('\n')
        .filter((l) => l.includes(requestId));
      const parsed = lines.flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
      if (parsed.length > 0) return parsed[0];
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no log line with request id ${requestId}; captured:\n${captured.join('')}`);
  }

  it('logs the request with its id but never the key', async () => {
    const res = await request(t.server)
      .get('/v1/admin/stats')
      .set('X-API-Key', KEY)
      .set('X-Request-Id', 'test-req-123');
    expect(res.status).toBe(200);
    const line = await logLineFor('test-req-123');
    expect(line).toMatchObject({
      service: 'aisle',
      req: { id: 'test-req-123', method: 'GET', url: '/v1/admin/stats' },
      res: { statusCode: 200 },
    });
    // Headers are never serialised: the key cannot reach the line through them.
    expect(line.req).not.toHaveProperty('headers');
    // One request log, not two: a later request's line is there, and this one's still once.
    await request(t.server).get('/v1/admin/stats').set('X-API-Key', KEY).set('X-Request-Id', 'test-req-124');
    await logLineFor('test-req-124');
    const lines = captured.join('').split('\n');
    expect(lines.filter((l) => l.includes('"test-req-123"'))).toHaveLength(1);
    expect(captured.join('')).not.toContain(KEY);
  });

  it('does not log probe and scrape requests, which would drown the request log', async () => {
    for (const path of ['/health/live', '/metrics']) {
      expect((await request(t.server).get(path).set('X-Request-Id', `probe-${path}`)).status).toBe(200);
    }
    // A logged request after the probes: once its line is there, the probes' lines would be too.
    await request(t.server).get('/v1/admin/stats').set('X-API-Key', KEY).set('X-Request-Id', 'after-probes');
    await logLineFor('after-probes');
    expect(captured.join('')).not.toContain('probe-');
  });

  it('does not log a key that was refused either', async () => {
    const res = await request(t.server)
      .put('/v1/items')
      .set('X-API-Key', 'other-key')
      .set('X-Request-Id', 'test-req-403')
      .send({ items: [{ id: 'x', title: 'x' }] });
    expectProblem(res, 403);
    await logLineFor('test-req-403');
    const bad = await request(t.server)
      .get('/v1/admin/stats')
      .set('X-API-Key', `${KEY}-wrong`)
      .set('X-Request-Id', 'test-req-401');
    expectProblem(bad, 401);
    await logLineFor('test-req-401');
    const all = captured.join('');
    expect(all).not.toContain('other-key');
    expect(all).not.toContain(KEY);
  });
});
