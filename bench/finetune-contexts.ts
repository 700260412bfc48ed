/**
 * What a training context's bound (FINETUNE_CONTEXT_ITEMS) saves: the fine-tune's pairs built from the full Online
 * Retail file for each bound given, then training steps timed. No database: the pairs come straight from the
 * file, and the text vectors are seeded random rows of the encoder's width, since a step's time depends only on
 * the shapes (the evaluation protocol measures what the bound does to the lists).
 * Prints one JSON line per bound: pairs, context entries and their MB, the process's RSS after building them (run
 * one bound at a time to compare it: a later bound's RSS holds what the earlier ones left), the
 * build time, the median step and the epoch it makes.
 * Usage: npm run build && node dist/bench/finetune-contexts.js [--context-items 0,256] [--steps 60] [--sequences]
 *        [--crawlers n]. --sequences reads the file as single-item purchases (evaluation/item-sequences.ts: the
 *        shape of a click stream); --crawlers n adds n shoppers of 20,000 single purchases each, spread over the
 *        file's year across its catalog (a crawler or a reseller account: the histories a bound is for).
 */
import { loadOnlineRetail } from '../src/online-retail/online-retail.reader';
import { asItemSequences } from '../src/evaluation/item-sequences';
import { buildTrainingPairs, type Interaction } from '../src/training/model/training-pairs';
import { train } from '../src/training/model/trainer';
import { mulberry32 } from '../src/training/model/random';
import { ONLINE_RETAIL } from './lib/server';

const CRAWLER_EVENTS = 20_000;
const TEXT_DIM = 512;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const bounds = arg('--context-items', '0,256').split(',').map(Number);
  const steps = Number(arg('--steps', '60'));
  const crawlers = Number(arg('--crawlers', '0'));
  const data = await loadOnlineRetail(ONLINE_RETAIL);
  const purchases = process.argv.includes('--sequences') ? asItemSequences(data.purchases) : data.purchases;
  const interactions: Interaction[] = purchases.map((p) => ({
    userId: p.userId,
    itemId: p.itemId,
    timestamp: p.timestamp,
    basketId: p.invoiceNo,
  }));
  const rand = mulberry32(11);
  let first = Infinity;
  let end = -Infinity;
  for (const p of purchases) {
    first = Math.min(first, p.timestamp.getTime());
    end = Math.max(end, p.timestamp.getTime());
  }
  const span = end - first;
  for (let c = 0; c < crawlers; c++)
    for (let e = 0; e < CRAWLER_EVENTS; e++)
      interactions.push({
        userId: `crawler-${c}`,
        itemId: data.items[Math.floor(rand() * data.items.length)].id,
        timestamp: new Date(first + Math.floor((e * span) / CRAWLER_EVENTS)),
      });
  const itemIds = data.items.map((i) => i.id);
  const vectorRand = mulberry32(7);
  const textVectors = Float32Array.from({ length: itemIds.length * TEXT_DIM }, () => vectorRand() - 0.5);

  for (const bound of bounds) {
    const started = performance.now();
    const pairs = buildTrainingPairs(interactions, itemIds, {
      validationDays: 14,
      contextMaxItems: bound > 0 ? bound : undefined,
    });
    const buildSeconds = (performance.now() - started) / 1000;
    const rssMb = process.memoryUsage().rss / 1e6;
    const stepMs: number[] = [];
    let last = 0;
    const stop = new AbortController();
    await train({ itemIds, textVectors, pairs }, { epochs: 1, signal: stop.signal }, (p) => {
      const now = performance.now();
      // The first step also pays for the JIT and the kernel's buffers.
      if (last > 0) stepMs.push(now - last);
      last = now;
      if (p.step > steps) stop.abort(new Error('enough steps'));
    }).catch((e: unknown) => {
      if (!stop.signal.aborted) throw e;
    });
    stepMs.sort((a, b) => a - b);
    const median = stepMs[stepMs.length >> 1];
    const stepsPerEpoch = Math.ceil(pairs.train.target.length / 512);
    process.stdout.write(
      `${JSON.stringify({
        contextItems: bound,
        crawlers,
        trainPairs: pairs.train.target.length,
        contextEntries: pairs.contexts.items.length,
        contextMb: Math.round((pairs.contexts.items.byteLength + pairs.contexts.weights.byteLength) / 1e6),
        rssMbAfterPairs: Math.round(rssMb),
        buildSeconds: Number(buildSeconds.toFixed(1)),
        medianStepMs: Number(median.toFixed(1)),
        epochSeconds: Math.round((median * stepsPerEpoch) / 1000),
      })}\n`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
