import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { simulate } from '../src/cli/simulate/simulation';
import { listenApp, type RunningApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';

const CUTOFF = new Date('2011-06-01T00:00:00Z');

/**
 * A small shop in the Online Retail file format: 30 items, 40 shoppers. Each shopper has four "own" items
 * bought twice before the cutoff, and a next basket after it of two of those items and one item they never
 * bought. Items 0–9 are bought by 40 walk-in customers once, before the cutoff: the popular top 10 is those
 * items and holds none of the next baskets, while the shoppers' own items (re-orders) are what the engine knows.
 */
function shopFile(dir: string): string {
  const rows = ['InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country'];
  const item = (i: number) => `${20000 + i}`;
  const line = (inv: string, i: number, q: number, date: string, c: number) =>
    rows.push(
      `${inv},${item(i)},ITEM NUMBER ${i} ${['MUG', 'LAMP', 'BAG', 'CANDLE'][i % 4]},${q},${date},${(1 + (i % 5)).toFixed(2)},${13000 + c},United Kingdom`,
    );
  let invoice = 540000;
  for (let c = 0; c < 40; c++) {
    const own = [10 + (c % 20), 10 + ((c + 5) % 20), 10 + ((c + 10) % 20), 10 + ((c + 15) % 20)];
    for (const [k, month] of ['01', '03'].entries()) {
      const inv = String(invoice++);
      for (const i of own)
        line(inv, i, 2 + k, `2011-${month}-${String(1 + (c % 27)).padStart(2, '0')} 10:00:00`, c);
    }
    // Walk-in customers who buy the best sellers once and never come back: the popular list.
    const walkIn = String(invoice++);
    for (let p = 0; p < 10; p++) line(walkIn, p, 1, '2011-02-01 09:00:00', 100 + c);
    const next = String(invoice++);
    for (const i of [own[0], own[2]])
      line(next, i, 3, `2011-07-${String(1 + (c % 27)).padStart(2, '0')} 12:00:00`, c);
    line(next, 10 + ((c + 7) % 20), 1, `2011-07-${String(1 + (c % 27)).padStart(2, '0')} 12:00:00`, c);
  }
  const file = path.join(dir, 'shop.csv');
  fs.writeFileSync(file, `${rows.join('\n')}\n`);
  return file;
}

/** `aisle experiments:simulate` end to end: seeding through the API, both experiments, counts compared. */
describe('experiments:simulate against a running server', () => {
  let db: TestDatabase;
  let dir: string;
  let server: RunningApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-simulate-'));
    server = await listenApp(db.url, dir, { REINDEX_DEBOUNCE_MS: '0', JOBS_POLL_MS: '100' });
  }, 120_000);

  afterAll(async () => {
    await server?.app.close();
    await db?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('replays the held-out baskets; the server counts exactly what the shoppers did; the engine wins', async () => {
    const file = shopFile(dir);
    const result = await simulate({
      url: server.url,
      file,
      cutoff: CUTOFF,
      seed: true,
      finetune: false,
      modes: ['ab', 'interleave'],
      placement: 'sim-for-you',
      orderSeed: 3,
      orders: 50,
      concurrency: 4,
    });
    const ab = result.modes.ab!;
    const il = result.modes.interleave!;
    expect(ab.mismatches).toEqual([]);
    expect(il.mismatches).toEqual([]);
    expect(ab.countsMatch && il.countsMatch).toBe(true);
    // 40 shoppers, one list each: in A/B split between the variants, interleaved lists belong to both.
    expect(ab.own.popular.lists + ab.own.engine.lists).toBe(40);
    expect(ab.server.popular.lists + ab.server.engine.lists).toBe(40);
    expect(il.own.engine.lists).toBe(40);
    // The popular list (items 0–9) holds no next-basket item; the engine knows each shopper's re-orders.
    expect(ab.own.popular.clicks).toBe(0);
    expect(ab.own.engine.clicks).toBeGreaterThan(0);
    expect(il.interleaving!.server.losses).toBe(0);
    expect(il.interleaving!.server.wins).toBeGreaterThan(8);
    expect(il.pValue).toBeLessThan(0.01);
    expect(il.shoppersNeeded).toBeDefined();
  }, 600_000);

  it('compares any two variants given (--control/--treatment): ids, rules and the forecast flow through', async () => {
    // The control's rule filters out every item, so its team drafts nothing: every clicked list is won by the
    // engine, no list is lost. With unanimous wins the sign test's floor of 8 decided shoppers rules the
    // forecast: 8 / (wins / 40) shoppers.
    const result = await simulate({
      url: server.url,
      file: shopFile(dir),
      cutoff: CUTOFF,
      seed: false,
      finetune: false,
      modes: ['interleave'],
      placement: 'sim-rules',
      orderSeed: 3,
      orders: 50,
      concurrency: 4,
      variants: [
        { id: 'filtered', rules: [{ action: 'filter', match: { price: { $gte: 0 } } }] },
        { id: 'engine' },
      ],
    });
    const il = result.modes.interleave!;
    expect(il.mismatches).toEqual([]);
    expect(Object.keys(il.own)).toEqual(['filtered', 'engine']);
    expect(il.own.filtered.clicks).toBe(0);
    expect(il.server.filtered.clicks).toBe(0);
    const { wins, losses } = il.interleaving!.server;
    expect(losses).toBe(0);
    expect(wins).toBeGreaterThan(8);
    expect(il.shoppersForecast).toBeCloseTo(320 / wins, 9);
  }, 600_000);
});
