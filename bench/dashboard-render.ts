/**
 * First render of every dashboard page in Chromium against a server holding the demo data (the full Online
 * Retail file, as `npm start` loads it): from navigation to the page's data on screen (its marker element
 * present and no API request of the page still open), each page BENCH_ROUNDS times (default 5), median and
 * worst. The bars (issue 16): every page ≤ 1 s; the dashboard's JavaScript ≤ 300 kB gzipped.
 *
 * Usage: npm run build && node dist/bench/dashboard-render.js [--json]
 *   imports the demo data once into aisle_bench_dashboard (on BENCH_PG_URL) and serves it on port 3930;
 * or:    node dist/bench/dashboard-render.js --url http://127.0.0.1:3000 [--key <admin key>]
 *   against a server already running (e.g. `npm start`).
 * Chromium: CHROMIUM_PATH, else /usr/bin/chromium.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Client } from 'pg';
import { chromium, type Page, type Request } from 'playwright-core';
import {
  databaseExists,
  dbUrl,
  ONLINE_RETAIL,
  recreateDatabase,
  ROOT,
  runCli,
  startServer,
  type RunningServer,
} from './lib/server';

const DB = 'aisle_bench_dashboard';
const PORT = 3930;
const BENCH_KEY = 'bench-dashboard-admin-key-0123456789';
const BAR_MS = 1000;
const BAR_GZIP_BYTES = 300_000;

const arg = (name: string): string | undefined =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;

function chromiumPath(): string {
  const p = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(p))
    throw new Error(`no Chromium at ${p}: install Debian's chromium or set CHROMIUM_PATH`);
  return p;
}

/** The gzipped size of the built dashboard's JavaScript. */
function javascriptGzipBytes(): number {
  const assets = path.join(ROOT, 'dashboard', 'dist', 'assets');
  return fs
    .readdirSync(assets)
    .filter((f) => f.endsWith('.js'))
    .reduce((sum, f) => sum + gzipSync(fs.readFileSync(path.join(assets, f)), { level: 9 }).length, 0);
}

/** The most active purchasing user (the longest history) and the most bought item: the heaviest views. */
async function subjects(url: string): Promise<{ user: string; item: string }> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const user = await c.query<{ user_id: string }>(
      `SELECT user_id FROM events WHERE type = 'purchase' GROUP BY user_id ORDER BY count(*) DESC LIMIT 1`,
    );
    const item = await c.query<{ item_id: string }>(
      `SELECT item_id FROM events WHERE type = 'purchase' GROUP BY item_id ORDER BY count(*) DESC LIMIT 1`,
    );
    return { user: user.rows[0].user_id, item: item.rows[0].item_id };
  } finally {
    await c.end();
  }
}

async function ownServer(): Promise<{ server: RunningServer; url: string; databaseUrl: string }> {
  let databaseUrl = dbUrl(DB);
  if (!(await databaseExists(DB)) || process.argv.includes('--fresh')) {
    databaseUrl = await recreateDatabase(DB);
    process.stdout.write('importing the demo data (the full Online Retail file) once…\n');
    await runCli(['import', '--online-retail', ONLINE_RETAIL, '--json'], { DATABASE_URL: databaseUrl });
  }
  // Serving builds what is missing (the model, the index) before it answers ready.
  const server = await startServer(
    {
      DATABASE_URL: databaseUrl,
      DATA_DIR: path.join(ROOT, '.data', 'bench-dashboard'),
      API_KEYS: `${BENCH_KEY}:read+write+admin`,
    },
    PORT,
  );
  return { server, url: server.url, databaseUrl };
}

/** Resolves once `selector` is on the page and none of the page's API requests is still open. */
async function settled(page: Page, selector: string, inFlight: () => number): Promise<void> {
  await page.locator(selector).first().waitFor({ timeout: 60_000 });
  const until = Date.now() + 60_000;
  while (inFlight() > 0) {
    if (Date.now() > until) throw new Error(`requests still open after 60 s on ${page.url()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await page.locator(selector).first().waitFor();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function main(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const given = arg('--url');
  const own = given ? undefined : await ownServer();
  const url = given ?? own!.url;
  const key = arg('--key') ?? (given ? undefined : BENCH_KEY);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    ...(key ? { 'X-API-Key': key } : {}),
  };
  try {
    const { user, item } = own
      ? await subjects(own.databaseUrl)
      : { user: arg('--user') ?? '17850', item: arg('--item') ?? '85123A' };
    // A placement with rules for the editor's live preview.
    const put = await fetch(`${url}/v1/admin/placements/bench-home`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({
        kind: 'for-you',
        title: 'Home: for you',
        rules: [
          { id: 'cheap-first', action: 'boost', weight: 1.5, match: { price: { $lt: 3 } } },
          { id: 'no-dear', action: 'filter', match: { price: { $gte: 50 } } },
          { id: 'top', action: 'pin', itemIds: [item], position: 1 },
        ],
      }),
    });
    if (put.status !== 200) throw new Error(`PUT placement: ${put.status} ${await put.text()}`);

    const pages: Array<[string, string, string]> = [
      ['overview', '/dashboard', '[data-testid="stats"]'],
      ['explore-user', `/dashboard/explore?user=${encodeURIComponent(user)}`, '[data-testid="user-recs"]'],
      ['explore-item', `/dashboard/explore?item=${encodeURIComponent(item)}`, '[data-testid="complements"]'],
      ['explore-search', '/dashboard/explore?q=lunch%20bag', '[data-testid="search"]'],
      ['placements', '/dashboard/placements', '[data-testid="placements"]'],
      [
        'placement-edit',
        `/dashboard/placements/bench-home?user=${encodeURIComponent(user)}`,
        '[data-testid="preview-after"] tbody tr',
      ],
      ['models', '/dashboard/models', '[data-testid="active-model"]'],
      // The list, or its empty state, or the note that this server has no experiments API.
      [
        'experiments',
        '/dashboard/experiments',
        'main :is([data-testid="experiments"], [data-testid="experiments-unavailable"], p.state.empty)',
      ],
    ];

    const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    const times = new Map<string, number[]>();
    try {
      const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      // The page's API requests still waiting for their answer.
      const open = new Set<Request>();
      page.on('request', (r) => {
        if (new URL(r.url()).pathname.startsWith('/v1/')) open.add(r);
      });
      page.on('requestfinished', (r) => open.delete(r));
      page.on('requestfailed', (r) => open.delete(r));
      await page.goto(`${url}/dashboard`);
      if (key) {
        await page.getByLabel('API key').fill(key);
        await page.getByRole('button', { name: 'Sign in' }).click();
      }
      await page.getByRole('navigation', { name: 'Pages' }).waitFor();
      for (let round = 0; round < rounds + 1; round++) {
        for (const [name, at, selector] of pages) {
          // A blank page between visits: each measurement starts from nothing on screen.
          await page.goto('about:blank');
          open.clear();
          const t0 = performance.now();
          await page.goto(`${url}${at}`);
          await settled(page, selector, () => open.size);
          // Round 0 warms the server's caches and the browser's; it is not counted.
          if (round > 0) times.set(name, [...(times.get(name) ?? []), performance.now() - t0]);
        }
      }
    } finally {
      await browser.close();
    }

    const gz = javascriptGzipBytes();
    const rows = [...times].map(([name, ms]) => ({
      page: name,
      medianMs: Math.round(median(ms)),
      worstMs: Math.round(Math.max(...ms)),
    }));
    process.stdout.write(`\nfirst render, navigation → data on screen, ${rounds} rounds (ms):\n`);
    for (const r of rows)
      process.stdout.write(
        `  ${r.page.padEnd(16)} median ${String(r.medianMs).padStart(5)}  worst ${String(r.worstMs).padStart(5)}  ${r.worstMs <= BAR_MS ? 'ok' : `over ${BAR_MS} ms`}\n`,
      );
    process.stdout.write(
      `JavaScript: ${(gz / 1000).toFixed(1)} kB gzipped (bar ${BAR_GZIP_BYTES / 1000} kB: ${gz <= BAR_GZIP_BYTES ? 'met' : 'NOT met'})\n`,
    );
    if (process.argv.includes('--json'))
      process.stdout.write(
        `${JSON.stringify({ pages: rows, javascriptGzipBytes: gz, allUnderBar: rows.every((r) => r.worstMs <= BAR_MS) })}\n`,
      );
  } finally {
    await own?.server.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
