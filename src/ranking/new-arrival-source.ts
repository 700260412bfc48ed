import { dot } from '../common/vectors';
import { compareIds } from './ids';
import type { NearestHit } from './candidates';
import { topK } from './top-k';

const DAY_MS = 86_400_000;

/**
 * Above this many ids in the window the new-arrival source asks the filtered vector search instead of scoring
 * each id. Scoring 2,000 vectors is about 1 ms of dot products (512-d), the cost of a whole personalised list; a
 * window that large is no longer "the few new items" but a fresh catalog or a bulk import that nothing has sold
 * from yet, where most of the index passes the filter and the filtered search costs what an unfiltered one does.
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
    const daysMs = days * DAY_MS;
    // A millisecond wider on each side, as `at`.
    const lo = anchorMs - slackMs - daysMs - 1;
    const hi = anchorMs + slackMs + 1;
    const kept: Array<[string, number]> = [];
    for (const [id, { availableFrom: from }] of items)
      if (from >= lo && from <= hi && !sold(id)) kept.push([id, from]);
    kept.sort((a, b) => a[1] - b[1] || compareIds(a[0], b[0]));
    return new NewArrivalPool(
      kept.map(([id]) => id),
      Float64Array.from(kept, ([, from]) => from),
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
    return this.ids.slice(start, end);
  }

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

/** What the new-arrival source reads: the item vectors, and the filtered vector search for large windows. */
export interface NewArrivalVectors {
  vectorOf(id: string): Float32Array | undefined;
  nearest(v: Float32Array, k: number, pass: (id: string) => boolean): readonly NearestHit[];
}

/**
 * The `k` new arrivals that fit unit vector `profile` best: those of `ids` that `accept` takes (the caller's
 * isNewArrival and list rules) and that have a vector, by exact cosine descending, then id ascending. A window
 * of more than NEW_ARRIVAL_SCAN_MAX ids is searched through `nearest` under the same filter.
 */
export function bestNewArrivals(
  src: NewArrivalVectors,
  profile: Float32Array,
  ids: readonly string[],
  k: number,
  accept: (id: string) => boolean,
): string[] {
  if (k <= 0 || ids.length === 0) return [];
  if (ids.length > NEW_ARRIVAL_SCAN_MAX) return src.nearest(profile, k, accept).map((h) => h.id);
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
