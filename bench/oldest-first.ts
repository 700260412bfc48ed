/**
 * What dropping a bounded cache's oldest entry costs on every write, as a cache of never-seen carts' answers does
 * once full: through a fresh `map.keys().next()` (how the caches dropped it before) and through OldestFirst's
 * kept iterator, on a plain Map of `--entries` keys; then the session cache itself (SessionSetCache, its default
 * 64 MB bound) holding one new cart's answer per request, as under `api-load --only session-unique`.
 * In-process, the CPU time per write, the cheapest of `--rounds` passes.
 * Usage: npm run build && node dist/bench/oldest-first.js [--entries 50000] [--writes 200000] [--rounds 3]
 */
import { OldestFirst } from '../src/common/oldest-first';
import { SessionSetCache } from '../src/recommendations/session-set-cache';
import type { RecommendationList } from '../src/recommendations/response';

const arg = (name: string, def: number) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : def;

/** A cart's key as session lists make it: ten Online Retail-like ids and the request's options. */
const cartKey = (n: number) =>
  `${Array.from({ length: 10 }, (_, i) => `${20000 + ((n * 7 + i * 131) % 9000)}${n}`).join(',')}|limit=10`;

function cpuMicros(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

function plainMap(entries: number, writes: number, kept: boolean): number {
  const map = new Map<string, number>();
  for (let i = 0; i < entries; i++) map.set(cartKey(i), i);
  const oldest = new OldestFirst(map);
  return (
    cpuMicros(() => {
      for (let i = entries; i < entries + writes; i++) {
        map.set(cartKey(i), i);
        if (kept) oldest.shift();
        else map.delete(map.keys().next().value!);
      }
    }) / writes
  );
}

/** A served-like answer of ten items. */
const answer = (n: number): RecommendationList => ({
  items: Array.from({ length: 10 }, (_, i) => ({
    id: `${85000 + ((n * 10 + i) % 4000)}A`,
    score: 1 - i / 10,
  })),
  modelVersion: '2026-11-30T03:00:00Z',
  strategy: 'session:vector',
});

function sessionCache(writes: number): { microsPerWrite: number; entries: number } {
  const cache = new SessionSetCache(64 * 2 ** 20, 2);
  const inputs = ['index', 'signals'];
  const blend = {};
  const lists = Array.from({ length: 1000 }, (_, n) => answer(n));
  // Fill it first: the cost that matters is the steady state, one answer dropped per answer held.
  let n = 0;
  const hold = () => {
    const key = cartKey(n);
    cache.get(key, inputs);
    cache.holdAnswer(key, inputs, 'limit=10', blend, lists[n % lists.length], 0, 0);
    n += 1;
  };
  while (cache.stats().bytes < cache.maxBytes * 0.99) hold();
  const micros = cpuMicros(() => {
    for (let i = 0; i < writes; i++) hold();
  });
  return { microsPerWrite: micros / writes, entries: cache.stats().entries };
}

function main(): void {
  const entries = arg('--entries', 50_000);
  const writes = arg('--writes', 200_000);
  const rounds = arg('--rounds', 3);
  const best = (f: () => number) => Math.min(...Array.from({ length: rounds }, f));
  const fresh = best(() => plainMap(entries, writes, false));
  const kept = best(() => plainMap(entries, writes, true));
  let cache = { microsPerWrite: Infinity, entries: 0 };
  for (let r = 0; r < rounds; r++) {
    const c = sessionCache(writes);
    if (c.microsPerWrite < cache.microsPerWrite) cache = c;
  }
  console.log(`plain Map of ${entries} keys, a write and a drop of the oldest:`);
  console.log(`  fresh keys().next()  ${fresh.toFixed(2)} µs`);
  console.log(`  OldestFirst          ${kept.toFixed(2)} µs`);
  console.log(
    `SessionSetCache (64 MB, ${cache.entries} answers held), a new cart's answer held: ${cache.microsPerWrite.toFixed(2)} µs`,
  );
  console.log(
    JSON.stringify({
      bench: 'oldest-first',
      entries,
      writes,
      freshIteratorMicrosPerWrite: +fresh.toFixed(3),
      oldestFirstMicrosPerWrite: +kept.toFixed(3),
      sessionCache: { entries: cache.entries, microsPerWrite: +cache.microsPerWrite.toFixed(3) },
    }),
  );
}

main();
