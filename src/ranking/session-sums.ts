import type { ItemNeighbours } from './neighbour-lists';
import { selectTopRows } from './top-k';

/**
 * The per-neighbour sums of one session source (co-purchase or transitions) over a session's items, kept in
 * scratch arrays indexed by the source's dense neighbour rows and reused across requests: a 10-item cart
 * touches a thousand or more (session item, neighbour) pairs per source, and a Map of objects per request
 * was most of a session list's CPU. A row's entry is live while its stamp is the current call's, so nothing
 * is cleared between calls. Use synchronously: one summing and its reads within one turn of the event loop.
 */
export class SessionSums {
  /** Σ of the similarities (the flat, order-free sum). */
  flat = new Float64Array(0);
  /** Σ of the recency-weighed similarities. */
  sum = new Float64Array(0);
  /** The strongest recency-weighed similarity and the session item (its index) that gave it. */
  best = new Float64Array(0);
  via = new Int32Array(0);
  /** The neighbour id of each touched row. */
  idOf: string[] = [];
  /** Its place in id order (ItemNeighbours.ranks): ties are broken by this rather than by comparing ids. */
  rankOf = new Int32Array(0);
  /** The touched rows of the current call, in the order first touched. */
  touched = new Int32Array(0);
  count = 0;
  private stamp = new Int32Array(0);
  private call = 0;

  /** Starts a new summing: every row reads as untouched. */
  reset(): void {
    this.count = 0;
    this.call += 1;
    if (this.call === 0x7fffffff) {
      this.stamp.fill(0);
      this.call = 1;
    }
  }

  /** Whether neighbour row `row` was touched by the current summing (its sums and `via` are live). */
  has(row: number): boolean {
    return row >= 0 && row < this.stamp.length && this.stamp[row] === this.call;
  }

  /** Adds session item `s` (weighed `d`) with its neighbour list. */
  add(s: number, d: number, list: ItemNeighbours): void {
    const { rows, sims, idOfRow, ranks } = list;
    const n = rows.length;
    // Room for every row and every first touch up front, so that the loop reads the arrays from locals: with a
    // possible reallocation inside it, each iteration read every array from the object again.
    let maxRow = -1;
    for (let k = 0; k < n; k++) if (rows[k] > maxRow) maxRow = rows[k];
    if (maxRow >= this.stamp.length) this.grow(maxRow + 1);
    if (this.count + n > this.touched.length) {
      const t = new Int32Array(Math.max(64, this.touched.length * 2, this.count + n));
      t.set(this.touched);
      this.touched = t;
    }
    const { stamp, flat, sum, best, via, idOf, rankOf, touched, call } = this;
    let count = this.count;
    for (let k = 0; k < n; k++) {
      const r = rows[k];
      const sim = sims[k];
      const v = d * sim;
      if (stamp[r] !== call) {
        stamp[r] = call;
        flat[r] = sim;
        sum[r] = v;
        best[r] = v;
        via[r] = s;
        idOf[r] = idOfRow[r];
        rankOf[r] = ranks[k];
        touched[count++] = r;
      } else {
        flat[r] += sim;
        sum[r] += v;
        if (v > best[r]) {
          best[r] = v;
          via[r] = s;
        }
      }
    }
    this.count = count;
  }

  private grow(n: number): void {
    const size = Math.max(n, this.stamp.length * 2, 1024);
    const widen = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.flat = widen(this.flat, (k) => new Float64Array(k));
    this.sum = widen(this.sum, (k) => new Float64Array(k));
    this.best = widen(this.best, (k) => new Float64Array(k));
    this.via = widen(this.via, (k) => new Int32Array(k));
    this.rankOf = widen(this.rankOf, (k) => new Int32Array(k));
    this.stamp = widen(this.stamp, (k) => new Int32Array(k));
    const idOf = new Array<string>(size).fill('');
    this.idOf.forEach((id, r) => (idOf[r] = id));
    this.idOf = idOf;
  }
}

/**
 * The touched rows of `sums` best first by `values[row]` descending, ties by id ascending, handed to `take`
 * one by one until it returns false: as the first rows of a full sort, but ordering only a bounded head
 * (`expect` rows, doubled while `take` asks for more) rather than every touched row.
 */
export function walkRanked(
  sums: SessionSums,
  values: Float64Array,
  expect: number,
  take: (row: number) => boolean,
): void {
  const rows = sums.touched;
  const count = sums.count;
  const ranks = sums.rankOf;
  let done = 0;
  for (let k = Math.min(expect, count); ; k = Math.min(count, k * 2)) {
    if (headScratch.length < k) headScratch = new Int32Array(Math.max(k, headScratch.length * 2));
    // A head is read to its end before the next is selected into the same scratch.
    const head = selectTopRows(rows, count, values, k, ranks, headScratch);
    for (; done < head.length; done++) if (!take(head[done])) return;
    if (k >= count) return;
  }
}

/** The heads walkRanked orders, reused: a session list walks four (two sums of two sources). */
let headScratch = new Int32Array(128);
