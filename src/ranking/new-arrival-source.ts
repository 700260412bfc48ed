import { dot } from '../common/vectors';
import { compareIds } from './ids';
import { drain, PACED_SLICE, sortRowsPaced, type Paced } from './paced';
import { topK } from './top-k';

const DAY_MS = 86_400_000;

/**
 * Above this many ids in the window the new-arrival source adds nothing (bestNewArrivals): scoring 2,000 vectors
 * is about 1 ms of dot products (512-d), the cost of a whole personalised list, and a window that large is no
 * longer "the few new items" but a fresh catalog or a bulk import that nothing has sold from yet.
 */
export const NEW_ARRIVAL_SCAN_MAX = 2000;

/**
 * A catalog's unsold items ordered by when they went on sale: the only items that can be new arrivals
 * (isNewArrival). A list reads the few inside its new-arrival window by binary search instead of scanning the
 * catalog. Built for the moments within `slackMs` of `anchorMs` (serving's clock moves; the gate asks at one).
 */
export class NewArrivalPool {
  private constructor(
    private readonly ids: readonly string[],
    private readonly from: Float64Array,
    private readonly daysMs: number,
    private readonly anchorMs: number,
    private readonly slackMs: number,
  ) {}

  /**
   * The items of `items` ([id, its availableFrom in epoch ms]) not `sold` whose date can fall inside the
   * `days`-long new-arrival window of a moment within `slackMs` of `anchorMs` (Infinity: of any moment).
   * Whatever is sold later is rejected again by the caller's isNewArrival, so a pool may be kept a while.
   */
  static build(
    items: Iterable<readonly [string, { readonly availableFrom: number }]>,
    sold: (id: string) => boolean,
    days: number,
    anchorMs: number,
    slackMs = 0,
  ): NewArrivalPool {
    return drain(NewArrivalPool.buildPaced(items, sold, days, anchorMs, slackMs));
  }

  /**
   * `build` a slice at a time (paced.ts): on a large catalog the scan asks `sold` of every item and the pool
   * can hold tens of thousands of them (a fresh catalog nothing has sold from yet), ~100 ms in one go at
   * 100,000 items.
   */
  static *buildPaced(
    items: Iterable<readonly [string, { readonly availableFrom: number }]>,
    sold: (id: string) => boolean,
    days: number,
    anchorMs: number,
    slackMs = 0,
  ): Paced<NewArrivalPool> {
    const daysMs = days * DAY_MS;
    // A millisecond wider on each side, as `at`.
    const lo = anchorMs - slackMs - daysMs - 1;
    const hi = anchorMs + slackMs + 1;
    const keptIds: string[] = [];
    const keptFrom: number[] = [];
    // A scanned item costs a map lookup or two: counted as an eighth of a comparison (PACED_SLICE).
    let work = 0;
    for (const [id, { availableFrom: from }] of items) {
      if (from >= lo && from <= hi && !sold(id)) {
        keptIds.push(id);
        keptFrom.push(from);
      }
      if (++work >= PACED_SLICE / 8) {
        work = 0;
        yield;
      }
    }
    const order = yield* sortRowsPaced(
      Int32Array.from(keptIds, (_, i) => i),
      (a, b) =>
        keptFrom[a] < keptFrom[b] || (keptFrom[a] === keptFrom[b] && compareIds(keptIds[a], keptIds[b]) < 0),
    );
    return new NewArrivalPool(
      Array.from(order, (i) => keptIds[i]),
      Float64Array.from(order, (i) => keptFrom[i]),
      daysMs,
      anchorMs,
      slackMs,
    );
  }

  /** Items in the pool. */
  get size(): number {
    return this.ids.length;
  }

  /** Whether the pool holds every unsold item that can be a new arrival at `nowMs`. */
  covers(nowMs: number): boolean {
    return Math.abs(nowMs - this.anchorMs) <= this.slackMs;
  }

  /**
   * The pool's items on sale within the new-arrival window of `nowMs`, oldest first. One millisecond wider on
   * each side than isNewArrival's test (whose float arithmetic may round the other way): a superset, since the
   * caller checks each id with isNewArrival anyway.
   */
  at(nowMs: number): readonly string[] {
    const start = this.firstFrom(nowMs - this.daysMs - 1);
    const end = this.firstFrom(nowMs + 1, start, true);
    // Lists asked moments apart read the same window: copied once, not per list (a fresh catalog's window held
    // 35,000 ids, and copying it was a tenth of a personalised list's CPU).
    if (this.window?.start !== start || this.window.end !== end)
      this.window = { start, end, ids: this.ids.slice(start, end) };
    return this.window.ids;
  }

  private window: { start: number; end: number; ids: readonly string[] } | undefined;

  /** The first index whose date is ≥ `t` (`after`: > `t`), searching from `lo`. */
  private firstFrom(t: number, lo = 0, after = false): number {
    let hi = this.from.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.from[mid] < t || (after && this.from[mid] === t)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** What the new-arrival source reads: the item vectors. */
export interface NewArrivalVectors {
  vectorOf(id: string): Float32Array | undefined;
}

/**
 * The `k` new arrivals that fit unit vector `profile` best: those of `ids` that `accept` takes (the caller's
 * isNewArrival and list rules) and that have a vector, by exact cosine descending, then id ascending. None for a
 * window of more than NEW_ARRIVAL_SCAN_MAX ids: there the profile's vector neighbours are the new arrivals that
 * fit it (the personalised list's vector source). A search of its own repeated that one's work: on 100,000 raw
 * items with 35,000 unsold it was a sixth of a personalised list's CPU (60–140 ms a list there), and filtered
 * to new arrivals it sized its rounds from a pass rate that is low around a buyer's profile (the items nearest to
 * it are the variants that sold), growing to tens of thousands of results.
 */
export function bestNewArrivals(
  src: NewArrivalVectors,
  profile: Float32Array,
  ids: readonly string[],
  k: number,
  accept: (id: string) => boolean,
): string[] {
  if (k <= 0 || ids.length === 0 || ids.length > NEW_ARRIVAL_SCAN_MAX) return [];
  const found: string[] = [];
  const scores = new Float64Array(ids.length);
  for (const id of ids) {
    if (!accept(id)) continue;
    const v = src.vectorOf(id);
    if (!v) continue;
    scores[found.length] = dot(profile, v);
    found.push(id);
  }
  const before = (a: number, b: number) =>
    scores[a] > scores[b] || (scores[a] === scores[b] && compareIds(found[a], found[b]) < 0);
  return Array.from(topK(found.length, k, before), (i) => found[i]);
}
