import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { AppModule } from '../src/app.module';
import { CatalogService } from '../src/catalog/catalog.service';
import { CatalogSnapshot } from '../src/catalog/catalog-snapshot';
import { loadConfig } from '../src/config/config.schema';
import { CopurchaseJob } from '../src/copurchase/copurchase.job';
import { EmbeddingsService } from '../src/embeddings/embeddings.service';
import { ImportService } from '../src/import/import.service';
import { loadOnlineRetail } from '../src/online-retail/online-retail.reader';
import type { ListOptions } from '../src/recommendations/dto/options.schema';
import { PurchaseSignalsService } from '../src/recommendations/purchase-signals.service';
import { RecommendationsService } from '../src/recommendations/recommendations.service';
import type { RecommendationList } from '../src/recommendations/response';
import type { FromSessionThread } from '../src/session-thread/session-thread.protocol';
import { SessionThread } from '../src/session-thread/session-thread.service';
import { IndexService } from '../src/vector-index/index.service';
import { createTestDatabase, type TestDatabase } from './support/database';

/**
 * Session lists gathered on the session thread are the lists the main thread gathers: two servers on one
 * database and data directory, one with SESSION_THREAD=on and one with it off, answer the same sessions with
 * the same items, scores, reasons and strategy — also right after a catalog write, which the thread must see
 * before the next list, and after the thread died. The thread's server holds no candidate sets (each list is
 * gathered); the other holds them (RECS_SESSION_CACHE_MAX_BYTES) from the first ask
 * (RECS_SESSION_CACHE_HOLD_FROM=1), so its repeated sessions are answered from held sets, which must equal fresh
 * gatherings through every change. Online Retail slice, real encoder, index
 * and PostgreSQL.
 */
const SLICE = path.join(__dirname, 'fixtures', 'online-retail-slice.csv');
const AT = new Date('2010-12-01T12:30:00.000Z');

const OPTS: ListOptions = {
  limit: 10,
  inStockOnly: true,
  exclude: [],
  includeItems: false,
  explain: true,
  diversity: 0,
};

describe('session lists on the session thread (real PostgreSQL, Online Retail slice)', () => {
  let db: TestDatabase;
  let dataDir: string;
  let onCtx: INestApplicationContext;
  let offCtx: INestApplicationContext;
  let sessions: string[][];

  // The thread's server shares no lists with its main thread unless a test asks (`share`): every list asked of it
  // is gathered on the thread, which is what these tests compare.
  const boot = (sessionThread: 'on' | 'off', holdFrom = '1', share = false) =>
    NestFactory.createApplicationContext(
      AppModule.forRoot({
        config: loadConfig({
          LOG_LEVEL: 'silent',
          DATA_DIR: dataDir,
          DATABASE_URL: db.url,
          STATS_REFRESH_MS: '0',
          SESSION_THREAD: sessionThread,
          SESSION_THREAD_SHARE: String(share),
          RECS_SESSION_CACHE_MAX_BYTES: sessionThread === 'on' ? '0' : '64mb',
          RECS_SESSION_CACHE_HOLD_FROM: holdFrom,
        }),
        databaseUrl: db.url,
        longRunningServer: false,
      }),
      { logger: false },
    );
  const thread = () => onCtx.get(SessionThread);
  const held = () => offCtx.get(RecommendationsService).sessionSetCacheStats();
  const list = (ctx: INestApplicationContext, session: string[], opts: Partial<ListOptions> = {}) =>
    ctx.get(RecommendationsService).session(session, undefined, { ...OPTS, ...opts }, AT);
  const comparable = (l: RecommendationList) => ({
    strategy: l.strategy,
    modelVersion: l.modelVersion,
    items: l.items.map((i) => [i.id, i.score, JSON.stringify(i.reason ?? null)]),
  });

  /** Lists asked of the thread's server are gathered on the thread: this many more each time. */
  async function expectOnThread<T>(lists: number, ask: () => Promise<T>): Promise<T> {
    const before = thread().stats().onThread;
    const out = await ask();
    expect(thread().stats().onThread - before).toBe(lists);
    return out;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-session-thread-'));
    onCtx = await boot('on');
    const data = await loadOnlineRetail(SLICE);
    const history = data.purchases.filter((p) => p.timestamp < AT);
    await onCtx.get(ImportService).storeOnlineRetail(data.items, history);
    await onCtx.get(CatalogSnapshot).reload();
    await onCtx.get(EmbeddingsService).embedCatalog({ full: false });
    await onCtx.get(IndexService).rebuild();
    await onCtx.get(CopurchaseJob).runHere(AT);
    await onCtx.get(PurchaseSignalsService).refresh(AT);
    // The second server loads what the first published, as another replica would.
    offCtx = await boot('off');
    await offCtx.get(PurchaseSignalsService).refresh(AT);
    // Each buyer's purchases in time order: sessions of 1 to 10 items, some with co-purchase and transitions.
    const byUser = new Map<string, string[]>();
    for (const p of [...history].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime()))
      byUser.set(p.userId, [...(byUser.get(p.userId) ?? []), p.itemId]);
    sessions = [...byUser.values()].map((items) => items.slice(-10)).slice(0, 40);
    // The thread starts with the first session list and loads the index; lists are gathered here meanwhile.
    for (let i = 0; i < 600 && thread().stats().state !== 'ready'; i++) {
      await list(onCtx, sessions[0]);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(thread().stats().state).toBe('ready');
  }, 600_000);

  afterAll(async () => {
    await onCtx?.close();
    await offCtx?.close();
    await db?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers every session as the main thread does, under business rules too', async () => {
    expect(sessions.length).toBeGreaterThanOrEqual(20);
    const prices = [...onCtx.get(CatalogSnapshot).entries()]
      .map(([, m]) => m.price)
      .filter((p): p is number => p !== null)
      .sort((a, b) => a - b);
    const median = prices[Math.floor(prices.length / 2)];
    const variants: Array<Partial<ListOptions>> = [
      {},
      { maxPrice: median },
      { minPrice: median, limit: 20 },
      { exclude: sessions.flatMap((s) => s.slice(0, 1)).slice(0, 20), explain: false },
    ];
    let sources = new Set<string>();
    const before = held();
    for (const opts of variants) {
      const onThread = await expectOnThread(sessions.length, () =>
        Promise.all(sessions.map((s) => list(onCtx, s, opts))),
      );
      for (const [k, s] of sessions.entries()) {
        const inProcess = await list(offCtx, s, opts);
        expect(comparable(onThread[k])).toEqual(comparable(inProcess));
        // Asked again: the held set, ranked again, is the same list.
        expect(comparable(await list(offCtx, s, opts))).toEqual(comparable(inProcess));
        sources = new Set([...sources, ...onThread[k].strategy.split(/[:+]/)]);
      }
    }
    // Every second list of the other server came from a held set: one per session and variant.
    expect(held().hits - before.hits).toBeGreaterThanOrEqual(sessions.length * variants.length);
    expect(held().entries).toBeGreaterThan(0);
    // The comparison covered lists made from what shoppers did, not only from vectors.
    expect(sources).toEqual(expect.objectContaining(new Set(['session', 'vector'])));
    expect([...sources].some((s) => s === 'co-purchase' || s === 'transitions')).toBe(true);
  });

  it('answers more carts at once than the shared arena has slots: the sets beyond them cross in buffers of their own', async () => {
    // Every session under four rules at once: more lists in flight than slots, and slots lent again as lists finish.
    const asks = [{}, { maxPrice: 5 }, { limit: 30 }, { explain: false }].flatMap((opts) =>
      sessions.map((s) => [s, opts] as const),
    );
    expect(asks.length).toBeGreaterThan(64);
    const before = thread().stats();
    const onThread = await expectOnThread(asks.length, () =>
      Promise.all(asks.map(([s, opts]) => list(onCtx, s, opts))),
    );
    const after = thread().stats();
    // Most sets crossed in a slot, and some did not: at most 64 could be lent at once.
    expect(after.inSlot - before.inSlot).toBeGreaterThanOrEqual(64);
    expect(after.inSlot - before.inSlot).toBeLessThan(asks.length);
    for (const [k, [s, opts]] of asks.entries())
      expect(comparable(onThread[k])).toEqual(comparable(await list(offCtx, s, opts)));
    // Slots given back are lent again: a second round crosses in slots too, and gives the same lists.
    const again = await Promise.all(asks.slice(0, 32).map(([s, opts]) => list(onCtx, s, opts)));
    expect(thread().stats().inSlot - after.inSlot).toBe(32);
    again.forEach((l, k) => expect(comparable(l)).toEqual(comparable(onThread[k])));
  });

  it('shares a queue with the main thread: it takes over lists waiting behind another, the same lists, and slots stay sound', async () => {
    const ctx = await boot('on', '1', true);
    try {
      await ctx.get(PurchaseSignalsService).refresh(AT);
      const shared = () => ctx.get(SessionThread).stats();
      const ask = (s: string[], opts: Partial<ListOptions>) =>
        ctx.get(RecommendationsService).session(s, undefined, { ...OPTS, ...opts }, AT);
      for (let i = 0; i < 600 && shared().state !== 'ready'; i++) {
        await ask(sessions[0], {});
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(shared().state).toBe('ready');
      const asks = [{}, { maxPrice: 5 }, { limit: 30 }, { explain: false }].flatMap((opts) =>
        sessions.map((s) => [s, opts] as const),
      );
      // Two rounds of every ask at once: the second lends the slots of lists taken over and of lists answered.
      for (let round = 0; round < 2; round++) {
        const before = shared();
        const lists = await Promise.all(asks.map(([s, opts]) => ask(s, opts)));
        const after = shared();
        // Every list was gathered once, on the thread or here; with ~160 waiting at once, both took some.
        expect(after.onThread - before.onThread + (after.inProcess - before.inProcess)).toBe(asks.length);
        expect(after.takenOver - before.takenOver).toBeGreaterThan(0);
        expect(after.takenOver - before.takenOver).toBe(after.inProcess - before.inProcess);
        expect(after.onThread - before.onThread).toBeGreaterThan(0);
        for (const [k, [s, opts]] of asks.entries())
          expect(comparable(lists[k])).toEqual(comparable(await list(offCtx, s, opts)));
      }
      // Alone, a list waits behind none: the thread gathers it.
      const before = shared();
      await ask(sessions[1], {});
      expect(shared().onThread - before.onThread).toBe(1);
      expect(shared().takenOver).toBe(before.takenOver);
    } finally {
      await ctx.close();
    }
  });

  it("by default holds a cart's set from its second ask: a cart asked once leaves no set held", async () => {
    const ctx = await boot('off', '2');
    try {
      await ctx.get(PurchaseSignalsService).refresh(AT);
      const stats = () => ctx.get(RecommendationsService).sessionSetCacheStats();
      const session = sessions.find((s) => s.length >= 3)!;
      const first = await list(ctx, session);
      expect(stats()).toMatchObject({ entries: 0, hits: 0, misses: 1, firstAsks: 1 });
      const second = await list(ctx, session);
      expect(stats()).toMatchObject({ entries: 1, hits: 0, misses: 2, firstAsks: 1 });
      const third = await list(ctx, session);
      expect(stats()).toMatchObject({ entries: 1, hits: 1, misses: 2, firstAsks: 1 });
      // Gathered twice, then held: the same list each time, and the list the thread's server gathers.
      expect(comparable(second)).toEqual(comparable(first));
      expect(comparable(third)).toEqual(comparable(first));
      expect(comparable(await list(onCtx, session))).toEqual(comparable(first));
      // Ninety days on no candidate is or may become a new arrival: the first ask's answer is held on its own (its
      // set is not), and the same cart asked again gets it without any gathering, the same object; the thread's
      // server, which holds nothing, gathers the same list.
      const later = new Date(AT.getTime() + 90 * 86_400_000);
      const at = (s: string[]) => ctx.get(RecommendationsService).session(s, undefined, OPTS, later);
      const other = sessions.find((s) => s.length >= 3 && s.join() !== session.join())!;
      const before = stats();
      const once = await at(other);
      expect(stats()).toMatchObject({
        entries: before.entries + 1,
        hits: before.hits,
        firstAsks: before.firstAsks + 1,
        answerHits: before.answerHits,
      });
      expect(stats().bytes - before.bytes).toBeLessThan(2000);
      const twice = await at(other);
      expect(twice).toBe(once);
      expect(stats()).toMatchObject({
        hits: before.hits,
        answerHits: before.answerHits + 1,
        firstAsks: before.firstAsks + 1,
      });
      const gathered = await onCtx.get(RecommendationsService).session(other, undefined, OPTS, later);
      expect(comparable(gathered)).toEqual(comparable(once));
    } finally {
      await ctx.close();
    }
  });

  it('sees a catalog write before the next list: out of stock and deleted items leave at once', async () => {
    const session = sessions.find((s) => s.length >= 3)!;
    const [first, second] = (await list(onCtx, session)).items.map((i) => i.id);
    // The other server holds this session's set from before the writes, which show both items.
    const heldBefore = held().hits;
    for (let i = 0; i < 2; i++)
      expect((await list(offCtx, session, { inStockOnly: false })).items.map((x) => x.id)).toEqual(
        expect.arrayContaining([first, second]),
      );
    expect(held().hits - heldBefore).toBe(1);
    await onCtx.get(CatalogService).patch(first, { inStock: false });
    const afterPatch = await expectOnThread(1, () => list(onCtx, session));
    expect(afterPatch.items.map((i) => i.id)).not.toContain(first);
    await onCtx.get(CatalogService).remove(second);
    const afterDelete = await expectOnThread(1, () => list(onCtx, session, { inStockOnly: false }));
    expect(afterDelete.items.map((i) => i.id)).not.toContain(second);
    expect(afterDelete.items.map((i) => i.id)).toContain(first);
    // And the other server, once it has followed the writes through PostgreSQL, lists the same.
    await offCtx.get(CatalogSnapshot).reload();
    expect(comparable(afterDelete)).toEqual(comparable(await list(offCtx, session, { inStockOnly: false })));
  });

  it('sends the query of a session holding an item the index lacks: embedded from its text here, the same list', async () => {
    const session = [...sessions.filter((s) => s.length >= 3)[2]];
    await onCtx
      .get(CatalogService)
      .upsert([{ id: 'unindexed-lamp', title: 'A hanging glass lantern', inStock: true }]);
    await offCtx.get(CatalogSnapshot).follow({ ids: ['unindexed-lamp'] });
    expect(onCtx.get(IndexService).current()!.has('unindexed-lamp')).toBe(false);
    const withNew = [...session, 'unindexed-lamp'];
    // Each message's request: the thread makes the query itself only when every item is in the index.
    const sent: Array<{ query: unknown; queryOfSession?: boolean }> = [];
    const worker = (thread() as unknown as { worker: Worker }).worker;
    const post = worker.postMessage.bind(worker);
    worker.postMessage = (m: { kind: string; request?: (typeof sent)[number] }, ...rest: never[]) => {
      if (m.kind === 'gather') sent.push(m.request!);
      post(m, ...rest);
    };
    try {
      const [plain, extended] = await expectOnThread(2, () =>
        Promise.all([list(onCtx, session), list(onCtx, withNew)]),
      );
      expect(sent.map((r) => [r.query === undefined, r.queryOfSession])).toEqual([
        [true, true],
        [false, false],
      ]);
      expect(comparable(plain)).toEqual(comparable(await list(offCtx, session)));
      expect(comparable(extended)).toEqual(comparable(await list(offCtx, withNew)));
      // The new item's text moved the query: its list is not the plain session's.
      expect(comparable(extended)).not.toEqual(comparable(plain));
    } finally {
      worker.postMessage = post;
    }
  });

  it('keeps held sets through catalog writes they did not read, and drops those that read a changed item', async () => {
    const session = sessions.filter((s) => s.length >= 3)[1];
    const snapshot = offCtx.get(CatalogSnapshot);
    const catalog = offCtx.get(CatalogService);
    // A write followed to its end: the server's own re-read of the written ids (which drops the same sets) is done.
    const write = async (id: string, w: () => Promise<unknown>) => {
      await w();
      await snapshot.follow({ ids: [id] });
    };
    const before = await list(offCtx, session);
    const top = before.items[0].id;
    // Out of stock: the held set that has it as a candidate is dropped; the set gathered next turns it away.
    await write(top, () => catalog.patch(top, { inStock: false }));
    const without = await list(offCtx, session);
    expect(without.items.map((i) => i.id)).not.toContain(top);
    let stats = held();
    expect(comparable(await list(offCtx, session))).toEqual(comparable(without));
    expect(held().hits - stats.hits).toBe(1);
    // A new item (not in the served index, never sold): no held set read it, so every one stays.
    stats = held();
    await write('brand-new-item', () =>
      catalog.upsert([{ id: 'brand-new-item', title: 'A brand new glass lamp', inStock: true }]),
    );
    expect(held().droppedByCatalog).toBe(stats.droppedByCatalog);
    expect(comparable(await list(offCtx, session))).toEqual(comparable(without));
    expect(held().hits - stats.hits).toBe(1);
    // Back in stock: the held set turned it away, so it is dropped, and the item is back where it was.
    stats = held();
    await write(top, () => catalog.patch(top, { inStock: true }));
    expect(held().droppedByCatalog).toBeGreaterThan(stats.droppedByCatalog);
    const back = await list(offCtx, session);
    expect(held().hits).toBe(stats.hits);
    expect(comparable(back)).toEqual(comparable(before));
    // A new price of the top item: the set held for rules with no price bound stays (the rules cannot turn the item
    // away for its price), the one held under a price bound that the item now leaves is dropped.
    const bounded = { maxPrice: 1_000_000 };
    const boundedBefore = await list(offCtx, session, bounded);
    expect(boundedBefore.items[0].id).toBe(top);
    stats = held();
    await write(top, () => catalog.patch(top, { price: 2_000_000 }));
    expect(held().droppedByCatalog - stats.droppedByCatalog).toBe(1);
    expect(comparable(await list(offCtx, session))).toEqual(comparable(back));
    expect(held().hits - stats.hits).toBe(1);
    const boundedAfter = await list(offCtx, session, bounded);
    expect(boundedAfter.items.map((i) => i.id)).not.toContain(top);
    expect(held().hits - stats.hits).toBe(1);
    // And it is what the thread's server, which holds no sets, gathers after following the same writes.
    await onCtx.get(CatalogSnapshot).reload();
    expect(comparable(await expectOnThread(1, () => list(onCtx, session)))).toEqual(comparable(back));
  });

  it('answers a cart asked again with the answer held with its set, the same list, until the catalog changes', async () => {
    const snapshot = offCtx.get(CatalogSnapshot);
    const signals = offCtx.get(PurchaseSignalsService);
    const at = (session: string[], now: Date) =>
      offCtx.get(RecommendationsService).session(session, undefined, OPTS, now);
    // At AT every item of the slice went on sale within the last 30 days: a list showing one never sold shows a new
    // arrival (or could), and is ranked again for every request.
    let ranked = 0;
    for (const session of sessions) {
      const first = await at(session, AT);
      if (!first.items.some((i) => signals.current().buyersOf(i.id) === 0)) continue;
      ranked += 1;
      const again = await at(session, AT);
      expect(again).not.toBe(first);
      expect(comparable(again)).toEqual(comparable(first));
    }
    expect(ranked).toBeGreaterThan(0);
    // Ninety days on, every unsold item is dead stock: nothing can change a cart's list but the catalog, the model
    // and the index, and the second request of each is the first one's answer, the same object.
    const later = new Date(AT.getTime() + 90 * 86_400_000);
    let stats = held();
    const twice: Array<[RecommendationList, RecommendationList]> = [];
    for (const session of sessions) twice.push([await at(session, later), await at(session, later)]);
    expect(held().answerHits - stats.answerHits).toBe(sessions.length);
    for (const [first, again] of twice) expect(again).toBe(first);
    // Held for later times, never for earlier ones: back at AT the list is ranked (and shows its new arrivals).
    expect(await at(sessions[0], AT)).not.toBe(twice[0][0]);
    const session = sessions.find((s) => s.length >= 3)!;
    const shown = await at(session, later);
    // A new title is no change to the set, but voids its answer: ranked again, the same list, then held again.
    const item = shown.items[0].id;
    await offCtx.get(CatalogService).patch(item, { title: 'A renamed item' });
    await snapshot.follow({ ids: [item] });
    stats = held();
    const renamed = await at(session, later);
    expect(held().answerHits).toBe(stats.answerHits);
    expect(held().hits - stats.hits).toBe(1);
    expect(comparable(renamed)).toEqual(comparable(shown));
    expect(await at(session, later)).toBe(renamed);
    // Out of stock: set and answer go, and the item with them; back in stock, the same list again.
    await offCtx.get(CatalogService).patch(item, { inStock: false });
    await snapshot.follow({ ids: [item] });
    expect((await at(session, later)).items.map((i) => i.id)).not.toContain(item);
    await offCtx.get(CatalogService).patch(item, { inStock: true });
    await snapshot.follow({ ids: [item] });
    expect(comparable(await at(session, later))).toEqual(comparable(shown));
  });

  it('follows a reindex: in-process while it loads the new index, then on the thread from that index', async () => {
    const index = onCtx.get(IndexService);
    const before = index.currentName();
    await index.rebuild();
    const after = index.currentName();
    expect(after).not.toBe(before);
    // The other server adopts the published index as a replica does.
    await offCtx.get(IndexService).syncFromDisk();
    expect(offCtx.get(IndexService).currentName()).toBe(after);
    const session = sessions[2];
    const expected = comparable(await list(offCtx, session));
    // Until the thread has loaded the new index, lists are gathered here, from the new index already.
    expect(comparable(await list(onCtx, session))).toEqual(expected);
    for (let i = 0; i < 600 && thread().stats().index !== after; i++) {
      await list(onCtx, session);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(thread().stats().index).toBe(after);
    const onThread = await expectOnThread(1, () => list(onCtx, session));
    expect(comparable(onThread)).toEqual(expected);
  });

  it('loads a new index as soon as the server serves it, before any list asks for it', async () => {
    const index = onCtx.get(IndexService);
    const before = index.currentName();
    await index.rebuild();
    const after = index.currentName();
    expect(after).not.toBe(before);
    const asked = thread().stats();
    for (let i = 0; i < 600 && thread().stats().index !== after; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(thread().stats()).toEqual({ ...asked, state: 'ready', index: after });
    await offCtx.get(IndexService).syncFromDisk();
    const session = sessions[3];
    const expected = comparable(await list(offCtx, session));
    // The first list after the swap is gathered on the thread, from the new index.
    expect(comparable(await expectOnThread(1, () => list(onCtx, session)))).toEqual(expected);
  });

  it('sends new purchase signals to the thread as they are swapped in, and gathers here until it has applied them', async () => {
    const worker = (thread() as unknown as { worker: Worker }).worker;
    const posted: string[] = [];
    const held: Array<() => void> = [];
    const post = worker.postMessage.bind(worker);
    // Signals messages are held back until released: the thread is "still unpacking" them meanwhile.
    worker.postMessage = (m: { kind: string }, transfer?: readonly ArrayBuffer[]) => {
      posted.push(m.kind);
      const forward = () => post(m, transfer as ArrayBuffer[] | undefined);
      if (m.kind === 'signals') held.push(forward);
      else forward();
    };
    try {
      // A refresh swaps in the reloaded neighbours, then the new counts: each is sent as it is swapped in.
      await onCtx.get(PurchaseSignalsService).refresh(AT);
      expect(posted).toEqual(['signals', 'signals']);
      const session = sessions[4];
      const expected = comparable(await list(offCtx, session));
      const before = thread().stats();
      // Not applied yet: gathered here, with the same answer, and nothing is queued on the thread.
      expect(comparable(await list(onCtx, session))).toEqual(expected);
      expect(thread().stats()).toMatchObject({
        onThread: before.onThread,
        inProcess: before.inProcess + 1,
      });
      expect(posted).toEqual(['signals', 'signals']);
      for (const forward of held) forward();
      let onThread: RecommendationList | undefined;
      // Up to 15 s for the thread to apply the signals (a busy 2-core machine).
      for (let i = 0; i < 300 && !onThread; i++) {
        const n = thread().stats().onThread;
        const l = await list(onCtx, session);
        if (thread().stats().onThread > n) onThread = l;
        else await new Promise((r) => setTimeout(r, 50));
      }
      expect(onThread && comparable(onThread)).toEqual(expected);
      // The lists sent no signals of their own: the thread had those the swap sent.
      expect(posted).toEqual(['signals', 'signals', 'gather']);
    } finally {
      worker.postMessage = post;
    }
  });

  it('closes a server whose thread is loading the index: the thread stops by itself, between two messages', async () => {
    const ctx = await boot('on');
    // The first session list starts the thread and sends it the catalog and the index to load.
    await list(ctx, sessions[0]);
    const started: SessionThread = ctx.get(SessionThread);
    const worker = (started as unknown as { worker: Worker }).worker;
    const said: string[] = [];
    worker.on('message', (m: FromSessionThread) => said.push(m.kind));
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    await ctx.close();
    await exited;
    // It left by itself, after the message in hand (the index load): terminated instead, it says nothing more,
    // wherever it was (inside a native call of the index, that aborts the process).
    expect(said.at(-1)).toBe('stopped');
  });

  it('answers in-process while a stopped thread restarts, then on the thread again', async () => {
    const session = sessions[1];
    const expected = comparable(await list(offCtx, session));
    await (thread() as unknown as { worker: Worker }).worker.terminate();
    const during = await list(onCtx, session);
    expect(comparable(during)).toEqual(expected);
    for (let i = 0; i < 600 && thread().stats().state !== 'ready'; i++) {
      await list(onCtx, session);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(thread().stats().state).toBe('ready');
    const after = await expectOnThread(1, () => list(onCtx, session));
    expect(comparable(after)).toEqual(expected);
  });
});
