import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { listenApp, type RunningApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';
import { TcpProxy } from './support/tcp-proxy';

/**
 * With PostgreSQL unresponsive or down, requests answer 503 problem+json with Retry-After within the
 * configured timeouts instead of hanging (or answering 500), and the service recovers by itself.
 */
const CONNECT_TIMEOUT_MS = 1000;
const STATEMENT_TIMEOUT_MS = 1000;
/** The client gives up 2 s after the server's statement timeout; a second more for scheduling on a busy box. */
const ANSWER_WITHIN_MS = STATEMENT_TIMEOUT_MS + 2000 + 2000;

describe('database outage (real PostgreSQL behind a relay)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let app: RunningApp;
  let dataDir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(db.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const viaProxy = new URL(db.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-outage-'));
    app = await listenApp(viaProxy.toString(), dataDir, {
      DB_POOL_MAX: '3',
      DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
    });
    await request(app.url)
      .put('/v1/items')
      .send({ items: [{ id: 'known-1', title: 'Known', price: 3 }] })
      .expect(200);
  });
  afterAll(async () => {
    proxy.resume();
    await proxy.up().catch(() => undefined);
    await app.app.close();
    await proxy.down();
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const timed = async (send: () => request.Test) => {
    const started = Date.now();
    const res = await send();
    return { res, ms: Date.now() - started };
  };
  const expectUnavailable = ({ res, ms }: { res: request.Response; ms: number }) => {
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body).toMatchObject({ status: 503 });
    expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
  };
  const untilOk = async (send: () => request.Test): Promise<request.Response> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await send();
      if (res.status === 200 || Date.now() > deadline) return res;
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  it('answers 503 with Retry-After while the server accepts connections but never answers', async () => {
    proxy.hang();
    // More requests than pooled connections: the rest wait for one and give up after the connect timeout.
    const reads = await Promise.all(
      Array.from({ length: 8 }, () => timed(() => request(app.url).get('/v1/items/known-1'))),
    );
    reads.forEach(expectUnavailable);
    expectUnavailable(
      await timed(() =>
        request(app.url)
          .post('/v1/events')
          .send({ events: [{ userId: 'u-1', itemId: 'known-1', type: 'view' }] }),
      ),
    );
    expectUnavailable(await timed(() => request(app.url).get('/v1/users/never-seen/recommendations')));

    proxy.resume();
    const back = await untilOk(() => request(app.url).get('/v1/items/known-1'));
    expect(back.status).toBe(200);
    expect(back.body.title).toBe('Known');
  });

  it('answers 503 with Retry-After while the server is down, and recovers when it is back', async () => {
    await proxy.down();
    expectUnavailable(await timed(() => request(app.url).get('/v1/items/known-1')));
    expectUnavailable(
      await timed(() =>
        request(app.url)
          .put('/v1/items')
          .send({ items: [{ id: 'during-outage', title: 'x' }] }),
      ),
    );

    await proxy.up();
    const back = await untilOk(() => request(app.url).get('/v1/items/known-1'));
    expect(back.status).toBe(200);
    expect((await request(app.url).get('/v1/items/during-outage')).status).toBe(404);
  });
});
