import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { Client } from 'pg';
import { CLI, ensureCliBuilt, ROOT } from './support/cli';
import { createTestDatabase, type TestDatabase } from './support/database';

/**
 * `aisle import` end to end: the compiled CLI in a child process against a fresh database. The compiled build
 * is used because Node 20 cannot require NestJS 12's ES modules from ts-node (`npm test` builds first).
 */

const FIXTURES = path.join(__dirname, 'fixtures');
const fixture = (name: string) => path.join(FIXTURES, name);

interface Summary {
  ok: boolean;
  error?: string;
  items?: { upserted: number; unchanged: number };
  events?: { accepted: number; duplicates: number };
  seconds?: number;
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The last stdout line, parsed: the `--json` summary. */
  summary: Summary;
}

let dataDir: string;

function runCli(args: string[], databaseUrl: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
    };
    delete env.API_KEYS;
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trimEnd().split('\n').pop() ?? '';
      let summary: Summary;
      try {
        summary = JSON.parse(last) as Summary;
      } catch {
        reject(
          new Error(`last stdout line is not JSON (exit ${code}):\n${stdout}\n--- stderr ---\n${stderr}`),
        );
        return;
      }
      resolve({ code, stdout, stderr, summary });
    });
  });
}

async function count(url: string, sql: string): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>(sql);
    return Number(r.rows[0]?.n);
  } finally {
    await c.end();
  }
}

/**
 * The cleaning rule of docs/evaluation.md, applied independently of the product's reader, and every kept
 * product's first line in the file, whatever kind of line (its availableFrom).
 */
function expectedFromSlice(): {
  rows: number;
  items: number;
  quantity: number;
  firstSeen: Map<string, string>;
  datedBeforeFirstPurchase: number;
} {
  const records = parse<Record<string, string>>(fs.readFileSync(fixture('online-retail-slice.csv')), {
    columns: true,
    skip_empty_lines: true,
  });
  const kept = records.filter(
    (r) =>
      (r.CustomerID ?? '').trim() !== '' &&
      r.CustomerID !== 'NA' &&
      Number(r.Quantity) > 0 &&
      !(r.InvoiceNo ?? '').startsWith('C') &&
      /^[0-9]/.test(r.StockCode ?? ''),
  );
  const keptIds = new Set(kept.map((r) => r.StockCode));
  // "YYYY-MM-DD HH:MM:SS" strings order as times do.
  const earliest = (rows: Array<Record<string, string>>) => {
    const first = new Map<string, string>();
    for (const r of rows) {
      if (!keptIds.has(r.StockCode)) continue;
      const seen = first.get(r.StockCode);
      if (seen === undefined || r.InvoiceDate < seen) first.set(r.StockCode, r.InvoiceDate);
    }
    return first;
  };
  const firstSeen = earliest(records);
  const firstKept = earliest(kept);
  return {
    rows: kept.length,
    items: keptIds.size,
    quantity: kept.reduce((s, r) => s + Number(r.Quantity), 0),
    firstSeen,
    datedBeforeFirstPurchase: [...firstSeen].filter(([id, t]) => t < firstKept.get(id)!).length,
  };
}

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-import-test-'));
  ensureCliBuilt();
}, 600_000);

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('aisle import --online-retail', () => {
  let db: TestDatabase;
  const expected = expectedFromSlice();

  beforeAll(async () => {
    // Unmigrated: the command migrates by itself.
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('has a slice with rows the cleaning rule must drop (so the expectation means something)', () => {
    const lines = fs.readFileSync(fixture('online-retail-slice.csv'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3001);
    expect(expected.rows).toBeGreaterThan(1000);
    expect(expected.rows).toBeLessThan(3000);
    expect(expected.items).toBeGreaterThan(100);
    // Products on sale (a guest's line, a cancellation) before their first kept purchase.
    expect(expected.datedBeforeFirstPurchase).toBeGreaterThan(0);
  });

  it('imports the cleaned items and purchases, summarised as JSON on the last stdout line', async () => {
    const r = await runCli(
      ['import', '--online-retail', fixture('online-retail-slice.csv'), '--json'],
      db.url,
    );
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.summary).toMatchObject({
      ok: true,
      items: { upserted: expected.items, unchanged: 0 },
      events: { accepted: expected.rows, duplicates: 0 },
    });
    expect(await count(db.url, 'SELECT count(*) AS n FROM items')).toBe(expected.items);
    expect(await count(db.url, `SELECT count(*) AS n FROM events WHERE type = 'purchase'`)).toBe(
      expected.rows,
    );
    expect(await count(db.url, 'SELECT sum(value) AS n FROM events')).toBe(expected.quantity);
    // The title is the most frequent description; this one has a single spelling in the slice.
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      const row = await c.query<{ title: string; price: number }>(
        `SELECT title, price FROM items WHERE id = '85123A'`,
      );
      expect(row.rows).toEqual([{ title: 'WHITE HANGING HEART T-LIGHT HOLDER', price: 2.55 }]);
      const ev = await c.query<{ user_id: string; occurred_at: Date }>(
        `SELECT user_id, occurred_at FROM events WHERE event_id = 'or:536365:85123A:0'`,
      );
      expect(ev.rows).toEqual([{ user_id: '17850', occurred_at: new Date('2010-12-01T08:26:00Z') }]);
      // Every product is on sale from its first line in the file.
      const dates = await c.query<{ id: string; available_from: Date }>(
        `SELECT id, available_from FROM items`,
      );
      expect(new Map(dates.rows.map((d) => [d.id, d.available_from.toISOString()]))).toEqual(
        new Map([...expected.firstSeen].map(([id, t]) => [id, `${t.replace(' ', 'T')}.000Z`])),
      );
      expect(new Set(dates.rows.map((d) => d.available_from.toISOString())).size).toBeGreaterThan(1);
      // The bulk load leaves the planner statistics of what it filled (autovacuum may be off, or late).
      const analysed = await c.query<{ relname: string; analysed: boolean }>(
        `SELECT relname, (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL) AS analysed
         FROM pg_stat_user_tables WHERE relname IN ('items', 'events') ORDER BY relname`,
      );
      expect(analysed.rows).toEqual([
        { relname: 'events', analysed: true },
        { relname: 'items', analysed: true },
      ]);
    } finally {
      await c.end();
    }
  });

  it('stores nothing new on a second run: every event is a duplicate, every item unchanged', async () => {
    const r = await runCli(
      ['import', '--online-retail', fixture('online-retail-slice.csv'), '--json'],
      db.url,
    );
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({
      ok: true,
      items: { upserted: 0, unchanged: expected.items },
      events: { accepted: 0, duplicates: expected.rows },
    });
    expect(await count(db.url, 'SELECT count(*) AS n FROM events')).toBe(expected.rows);
  });
});

describe('aisle import --items / --events (NDJSON and CSV)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('imports NDJSON items and CSV events in one run', async () => {
    const r = await runCli(
      [
        'import',
        '--items',
        fixture('import-items.ndjson'),
        '--events',
        fixture('import-events.csv'),
        '--json',
      ],
      db.url,
    );
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.summary).toMatchObject({
      ok: true,
      items: { upserted: 3, unchanged: 0 },
      events: { accepted: 4, duplicates: 0 },
    });
    expect(await count(db.url, 'SELECT count(*) AS n FROM items')).toBe(3);
    expect(await count(db.url, 'SELECT count(*) AS n FROM events')).toBe(4);

    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      const items = await c.query(`SELECT id, category, price, in_stock, attributes FROM items ORDER BY id`);
      expect(items.rows).toEqual([
        {
          id: 'gen-1',
          category: 'Home/Lighting',
          price: 39.5,
          in_stock: true,
          attributes: { colour: 'brass', bulbs: 1 },
        },
        { id: 'gen-2', category: 'Home/Textiles', price: 12, in_stock: false, attributes: {} },
        { id: 'gen-3', category: null, price: 8.25, in_stock: true, attributes: {} },
      ]);
      // gen-3 says when it went on sale; the others are on sale from the moment the catalog saw them.
      const dates = await c.query<{ id: string; given: Date; since_created: boolean }>(
        `SELECT id, available_from AS given, available_from = created_at AS since_created FROM items ORDER BY id`,
      );
      expect(dates.rows).toEqual([
        { id: 'gen-1', given: expect.any(Date), since_created: true },
        { id: 'gen-2', given: expect.any(Date), since_created: true },
        { id: 'gen-3', given: new Date('2024-03-15T00:00:00Z'), since_created: false },
      ]);
      const events = await c.query(
        `SELECT event_id, user_id, item_id, type, value, session_id, occurred_at FROM events ORDER BY event_id`,
      );
      expect(events.rows).toEqual([
        {
          event_id: 'ge-1',
          user_id: 'cust-1',
          item_id: 'gen-1',
          type: 'view',
          value: null,
          session_id: 'sess-1',
          occurred_at: new Date('2024-05-01T10:00:00Z'),
        },
        {
          event_id: 'ge-2',
          user_id: 'cust-1',
          item_id: 'gen-1',
          type: 'purchase',
          value: 2,
          session_id: 'sess-1',
          occurred_at: new Date('2024-05-01T10:05:00Z'),
        },
        {
          event_id: 'ge-3',
          user_id: 'cust-2',
          item_id: 'gen-2',
          type: 'rating',
          value: 4,
          session_id: null,
          occurred_at: new Date('2024-05-02T09:00:00Z'),
        },
        {
          event_id: 'ge-4',
          user_id: 'cust-2',
          item_id: 'gen-3',
          type: 'add_to_cart',
          value: null,
          session_id: null,
          occurred_at: new Date('2024-05-02T07:01:00Z'),
        },
      ]);
    } finally {
      await c.end();
    }
  });

  it('is idempotent: a re-run finds the items unchanged and the events duplicates', async () => {
    const r = await runCli(
      [
        'import',
        '--items',
        fixture('import-items.ndjson'),
        '--events',
        fixture('import-events.csv'),
        '--json',
      ],
      db.url,
    );
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({
      items: { upserted: 0, unchanged: 3 },
      events: { accepted: 0, duplicates: 4 },
    });
    expect(await count(db.url, 'SELECT count(*) AS n FROM events')).toBe(4);
  });

  it('imports CSV items, with typed price/inStock and attributes.* columns', async () => {
    const r = await runCli(['import', '--items', fixture('import-items.csv'), '--json'], db.url);
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.summary).toMatchObject({
      items: { upserted: 2, unchanged: 0 },
      events: { accepted: 0, duplicates: 0 },
    });
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      const rows = await c.query(
        `SELECT id, title, price, in_stock, attributes FROM items WHERE id IN ('gen-4', 'gen-5') ORDER BY id`,
      );
      expect(rows.rows).toEqual([
        { id: 'gen-4', title: 'Wool throw', price: 45, in_stock: true, attributes: { colour: 'grey' } },
        { id: 'gen-5', title: 'Candle, large', price: 9.99, in_stock: false, attributes: {} },
      ]);
    } finally {
      await c.end();
    }
  });
});

describe('aisle import with a bad record', () => {
  let db: TestDatabase;
  let tmp: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-import-bad-'));
  });
  afterAll(async () => {
    await db.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses an items file with one invalid record: exit 1, the record named, nothing written', async () => {
    const r = await runCli(['import', '--items', fixture('import-items-bad.ndjson'), '--json'], db.url);
    expect(r.code).toBe(1);
    expect(r.summary.ok).toBe(false);
    expect(r.summary.error).toMatch(/record 2: price/);
    expect(r.stderr).toMatch(/record 2: price/);
    expect(await count(db.url, 'SELECT count(*) AS n FROM items')).toBe(0);
  });

  it('names a missing file at once, for import and eval alike: exit 1, nothing written', async () => {
    const missing = path.join(tmp, 'no-such-file.csv');
    for (const args of [
      ['import', '--events', missing, '--json'],
      ['eval', '--online-retail', missing, '--json'],
    ]) {
      const r = await runCli(args, db.url);
      expect(r.code).toBe(1);
      expect(r.summary.ok).toBe(false);
      expect(r.summary.error).toBe(`No such file: ${missing}`);
      // Nothing started and stopped under way: no warning of a connection cut off by the exit.
      expect(r.stderr).not.toMatch(/failed|terminated/i);
    }
    expect(await count(db.url, 'SELECT count(*) AS n FROM events')).toBe(0);
  });

  it('refuses an events file with one invalid record: exit 1, nothing written', async () => {
    const items = await runCli(['import', '--items', fixture('import-items.ndjson'), '--json'], db.url);
    expect(items.code).toBe(0);
    const r = await runCli(['import', '--events', fixture('import-events-bad.csv'), '--json'], db.url);
    expect(r.code).toBe(1);
    expect(r.summary.ok).toBe(false);
    expect(r.summary.error).toMatch(/record 2: type/);
    expect(await count(db.url, 'SELECT count(*) AS n FROM events')).toBe(0);
  });

  it('refuses a large events file whose last batch names an unknown item: nothing of the file written', async () => {
    // More events than one write batch holds, so a late bad record would otherwise leave earlier batches stored.
    const file = path.join(tmp, 'events.ndjson');
    const lines = Array.from({ length: 6000 }, (_, i) =>
      JSON.stringify({
        userId: `u-${i % 50}`,
        itemId: i === 5800 ? 'no-such-item' : 'gen-1',
        type: 'view',
        eventId: `big-${i}`,
      }),
    );
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await runCli(['import', '--events', file, '--json'], db.url);
    expect(r.code).toBe(1);
    expect(r.summary.ok).toBe(false);
    expect(r.summary.error).toContain('no-such-item');
    expect(await count(db.url, 'SELECT count(*) AS n FROM events')).toBe(0);
  });

  it('exits 1 with a JSON summary when the file does not exist', async () => {
    const r = await runCli(['import', '--items', path.join(tmp, 'missing.ndjson'), '--json'], db.url);
    expect(r.code).toBe(1);
    expect(r.summary).toMatchObject({ ok: false, error: expect.stringContaining('missing.ndjson') });
  });
});
