/**
 * Heap held by the personalised-list cache when one user asks with a different `minPrice` on every request
 * (each is another cache key), and when many users each do so: in-process, the cache alone, default bounds.
 * Usage: npm run build && node --expose-gc dist/bench/list-cache-memory.js [--requests 15000] [--users 1]
 */
import { loadConfig } from '../src/config/config.schema';
import { UserChanges } from '../src/events/user-changes';
import { RecommendationCache } from '../src/recommendations/recommendation-cache';
import type { RecommendationList } from '../src/recommendations/response';

const arg = (name: string, def: number) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : def;

/** A list shaped like a served one: ten Online Retail-like ids, each with a one-item reason. */
const list = (seed: number): RecommendationList => ({
  items: Array.from({ length: 10 }, (_, i) => ({
    id: `${85000 + ((seed * 10 + i) % 4000)}A`,
    score: 1 - i / 10,
    reason: { type: 'similar-to', itemIds: [`${20000 + ((seed + i) % 4000)}B`] },
  })),
  modelVersion: '2026-11-30T03:00:00Z',
  strategy: 'personalized',
});

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

function main(): void {
  const requests = arg('--requests', 15000);
  const users = arg('--users', 1);
  if (!(globalThis as { gc?: () => void }).gc) throw new Error('run with node --expose-gc');
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const cache = new RecommendationCache(config, new UserChanges());
  const inputs = ['v1', {}];
  const before = heapMb();
  for (let r = 0; r < requests; r++) {
    const key = `limit=10&minPrice=${(r / 100).toFixed(2)}&inStockOnly=true`;
    cache.set(`user-${r % users}`, key, inputs, list(r), cache.ticket());
  }
  const after = heapMb();
  const c = cache as unknown as { lists?: number; bytes?: number };
  process.stdout.write(
    `${JSON.stringify({
      requests,
      users,
      heapMbBefore: +before.toFixed(1),
      heapMbAfter: +after.toFixed(1),
      heapMbHeld: +(after - before).toFixed(1),
      cachedLists: c.lists ?? 'not counted',
      estimatedMb: c.bytes === undefined ? 'not estimated' : +(c.bytes / 2 ** 20).toFixed(1),
    })}\n`,
  );
}

main();
