/**
 * A store several times the Online Retail file, through the commands an operator runs: the file's catalog and
 * purchases copied `--copies` times (items `<code>:c<copy>` titled with a copy word, customers `<id>:c<copy>`, each
 * copy its own shop's worth of behaviour in one catalog), written as NDJSON and loaded by `aisle import --items
 * --events`, then the nightly `aisle finetune`, then `aisle serve` on the result and lists asked one at a time.
 * Reports each step's wall time and the peak RSS of its process tree (the fine-tune's child process included),
 * the job's decision, and the served lists' latency: what a larger shop should expect of one machine.
 * Usage: npm run build && node dist/bench/scale-store.js [--copies 3]   (BENCH_PG_URL for another server)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadOnlineRetail } from '../src/online-retail/online-retail.reader';
import { treeRssMb } from './lib/process-rss';
import { ONLINE_RETAIL, recreateDatabase, runCli, startServer } from './lib/server';

/** Words that tell the copies' products apart in their titles (the encoder sees a different text per copy). */
const COPY_WORDS = ['classic', 'deluxe', 'mini', 'vintage', 'jumbo', 'pastel', 'rustic', 'modern'];

const say = (msg: string) => process.stderr.write(`${msg}\n`);

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1 || v > COPY_WORDS.length)
    throw new Error(`${name} takes a whole number from 1 to ${COPY_WORDS.length}`);
  return v;
}

interface Step {
  seconds: number;
  peakRssMb: number;
  stdout: string;
}

/** Runs the compiled CLI, sampling its process tree's RSS each second (the fine-tune's child included). */
async function runMeasured(args: string[], env: Record<string, string>): Promise<Step> {
  let peak = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    const done = await runCli(args, env, (child) => {
      timer = setInterval(() => {
        peak = Math.max(peak, child.pid ? (treeRssMb(child.pid) ?? 0) : 0);
      }, 1000);
    });
    return { ...done, peakRssMb: Math.round(peak) };
  } finally {
    clearInterval(timer);
  }
}

function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
}

async function writeStore(
  dir: string,
  copies: number,
): Promise<{ items: number; events: number; carts: string[][] }> {
  const data = await loadOnlineRetail(ONLINE_RETAIL);
  const items = fs.createWriteStream(path.join(dir, 'items.ndjson'));
  const events = fs.createWriteStream(path.join(dir, 'events.ndjson'));
  const write = (s: fs.WriteStream, line: string) =>
    s.write(line) ? Promise.resolve() : new Promise<void>((r) => s.once('drain', () => r()));
  for (let c = 0; c < copies; c++)
    for (const it of data.items)
      await write(
        items,
        `${JSON.stringify({
          id: `${it.id}:c${c}`,
          title: `${it.title} ${COPY_WORDS[c]}`.toLowerCase(),
          price: it.price,
          availableFrom: it.availableFrom.toISOString(),
        })}\n`,
      );
  for (let c = 0; c < copies; c++)
    for (const p of data.purchases)
      await write(
        events,
        `${JSON.stringify({
          userId: `${p.userId}:c${c}`,
          itemId: `${p.itemId}:c${c}`,
          type: 'purchase',
          value: p.quantity,
          timestamp: p.timestamp.toISOString(),
          eventId: `${p.eventId}:c${c}`,
        })}\n`,
      );
  await Promise.all([items, events].map((s) => new Promise((r) => s.end(r))));
  // Carts to ask: a customer's last 10 distinct items, from every copy.
  const byUser = new Map<string, string[]>();
  for (const p of data.purchases) {
    const list = byUser.get(p.userId) ?? [];
    const at = list.indexOf(p.itemId);
    if (at >= 0) list.splice(at, 1);
    list.push(p.itemId);
    byUser.set(p.userId, list);
  }
  const carts: string[][] = [];
  for (const list of byUser.values()) {
    if (list.length < 10 || carts.length >= 400) continue;
    const copy = carts.length % copies;
    carts.push(list.slice(-10).map((id) => `${id}:c${copy}`));
  }
  return { items: data.items.length * copies, events: data.purchases.length * copies, carts };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Asks each request once, one at a time: latency of a lone shopper, not throughput. */
async function latencies(
  url: string,
  requests: Array<{ path: string; body?: string }>,
): Promise<{ p50: number; p99: number; non2xx: number }> {
  const times: number[] = [];
  let non2xx = 0;
  for (const r of requests) {
    const t0 = process.hrtime.bigint();
    const res = await fetch(`${url}${r.path}`, {
      method: r.body ? 'POST' : 'GET',
      headers: r.body ? { 'content-type': 'application/json' } : {},
      body: r.body,
    });
    await res.arrayBuffer();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (res.status >= 300) non2xx += 1;
  }
  times.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return { p50: round(pct(times, 50)), p99: round(pct(times, 99)), non2xx };
}

async function main(): Promise<void> {
  const copies = argValue('--copies', 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `aisle-scale-${copies}-`));
  try {
    say(`writing a store of ${copies} copies of Online Retail into ${dir}…`);
    const store = await writeStore(dir, copies);
    say(`${store.items} items, ${store.events} purchases`);
    const url = await recreateDatabase(`aisle_bench_scale_${copies}`);
    const env = { DATABASE_URL: url, DATA_DIR: path.join(dir, 'data') };
    say('aisle import --items --events…');
    const imported = await runMeasured(
      [
        'import',
        '--items',
        path.join(dir, 'items.ndjson'),
        '--events',
        path.join(dir, 'events.ndjson'),
        '--json',
      ],
      env,
    );
    say(`imported in ${imported.seconds.toFixed(0)} s; aisle finetune…`);
    const finetune = await runMeasured(['finetune', '--json'], env);
    const job = lastJson(finetune.stdout);
    say(`fine-tuned in ${finetune.seconds.toFixed(0)} s; aisle serve…`);
    const t0 = Date.now();
    const server = await startServer(env);
    const readySeconds = (Date.now() - t0) / 1000;
    try {
      const pid = server.child.pid!;
      const idleRss = Math.round(treeRssMb(pid) ?? 0);
      const sessions = await latencies(
        server.url,
        store.carts.map((cart) => ({ path: '/v1/recommendations', body: JSON.stringify({ itemIds: cart }) })),
      );
      const similar = await latencies(
        server.url,
        store.carts.map((cart) => ({ path: `/v1/items/${encodeURIComponent(cart[9])}/similar` })),
      );
      const result = {
        bench: 'scale-store',
        copies,
        items: store.items,
        purchases: store.events,
        import: { seconds: Math.round(imported.seconds), peakRssMb: imported.peakRssMb },
        finetune: {
          seconds: Math.round(finetune.seconds),
          peakRssMb: finetune.peakRssMb,
          job,
        },
        serve: {
          readySeconds: Math.round(readySeconds),
          rssMb: idleRss,
          rssAfterMb: Math.round(treeRssMb(pid) ?? 0),
          sessionMs: sessions,
          similarMs: similar,
        },
      };
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  say(String(e instanceof Error ? (e.stack ?? e.message) : e));
  process.exit(1);
});
