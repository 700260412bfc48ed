import { setFlagsFromString } from 'node:v8';

/**
 * Caps how far V8 lets the old generation grow past what survived the last full collection before it
 * collects again: the limit becomes the live heap × (1 + percent / 100). 0 leaves V8's own heuristics.
 *
 * Why a server needs it: under load a request outlives the two young-generation collections (a few hundred
 * milliseconds at this allocation rate), so its objects — and every cache entry replaced by an event ingest,
 * a warmer pass or an index swap — are promoted and die in the old generation. Nothing is retained, but on a
 * machine with plenty of memory V8 grows the old generation by up to 4× the live heap before a full
 * collection, so RSS saws between the live set and four times it; a busy spell (a reindex, a fine-tune
 * beside the server) raises the teeth. Measured with bench/reindex-rss.ts: a live heap of 80–90 MB with the
 * heap used sawing up to 325 MB. A bounded factor keeps the peak near a multiple of what is live, at the cost
 * of full collections that often (mostly concurrent marking: a few ms of main thread for this heap).
 *
 * The flag is read at every limit computation, so setting it at start-up (before the heap has grown) is
 * enough; no command-line flag is needed.
 */
export function limitHeapGrowth(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0)
    throw new RangeError(`heap growth must be a non-negative integer percent, got ${percent}`);
  if (percent === 0) return;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
