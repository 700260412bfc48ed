import type { ItemNeighbours } from './neighbour-lists';
import { selectTopRows } from './top-k';

/**
 * The per-neighbour sums of one session source (co-purchase or transitions) over a session's items, kept in
 * scratch arrays reused across requests: a 10-item cart touches a thousand or more (session item, neighbour)
 * pairs per source, and a Map of objects per request was most of a session list's CPU. A touched row gets the
 * next slot, and its sums live at that slot: the arrays hold only this call's rows, in the order first touched,
 * so the walks read them in order, and a row's first touch writes one random place (its mark) rather than one
 * per array. A row's mark is live while its stamp is the current call's, so nothing is cleared between calls.
 * Use synchronously: one summing and its reads within one turn of the event loop.
 */
export class SessionSums {
  /** Σ of the similarities (the flat, order-free sum), by slot. */
  flat = new Float64Array(0);
  /** Σ of the recency-weighed similarities, by slot. */
  sum = new Float64Array(0);
  /** The strongest recency-weighed similarity and the session item (its index) that gave it, by slot. */
  best = new Float64Array(0);
  via = new Int32Array(0);
  /**
   * Each slot's place in id order (ItemNeighbours.ranks): ties are broken by this rather than by comparing ids.
   */
  rankOf = new Int32Array(0);
  /** The row of each slot: the touched rows of the current call, in the order first touched. */
  touched = new Int32Array(0);
  /** Slots in use: 0 … count − 1. */
  count = 0;
  /** The lists' id of each row (ItemNeighbours.idOfRow; one array for every list of a source). */
  idOfRow: readonly string[] = [];
  /** Per row, the call that last touched it and its slot in that call: [stamp, slot] at 2·row. */
  private marks = new Int32Array(0);
  private call = 0;

  /** Starts a new summing: every row reads as untouched. */
  reset(): void {
    this.count = 0;
    this.call += 1;
    if (this.call === 0x7fffffff) {
      this.marks.fill(0);
      this.call = 1;
    }
  }

  /** The slot of neighbour row `row` in the current summing, −1 when it was not touched. */
  slotOf(row: number): number {
    const m = 2 * row;
    return row >= 0 && m < this.marks.length && this.marks[m] === this.call ? this.marks[m + 1] : -1;
  }

  /** The id of the row at `slot`. */
  idAt(slot: number): string {
    return this.idOfRow[this.touched[slot]];
  }

  /** Adds session item `s` (weighed `d`) with its neighbour list. */
  add(s: number, d: number, list: ItemNeighbours): void {
    const { rows, sims, ranks } = list;
    const n = rows.length;
    if (n === 0) return;
    this.idOfRow = list.idOfRow;
    // Room for every row and every first touch up front, so that the loop reads the arrays from locals: with a
    // possible reallocation inside it, each iteration read every array from the object again. Every row of a list
    // names one of its idOfRow, so that many marks are enough without scanning the list for its largest row.
    if (2 * list.idOfRow.length > this.marks.length) this.growMarks(list.idOfRow.length);
    if (this.count + n > this.touched.length) this.growSlots(this.count + n);
    const { marks, flat, sum, best, via, rankOf, touched, call } = this;
    let count = this.count;
    for (let k = 0; k < n; k++) {
      const m = 2 * rows[k];
      const sim = sims[k];
      const v = d * sim;
      if (marks[m] !== call) {
        marks[m] = call;
        marks[m + 1] = count;
        flat[count] = sim;
        sum[count] = v;
        best[count] = v;
        via[count] = s;
        rankOf[count] = ranks[k];
        touched[count] = rows[k];
        count++;
      } else {
        const slot = marks[m + 1];
        flat[slot] += sim;
        sum[slot] += v;
        if (v > best[slot]) {
          best[slot] = v;
          via[slot] = s;
        }
      }
    }
    this.count = count;
  }

  private growMarks(rows: number): void {
    const marks = new Int32Array(2 * Math.max(rows, this.marks.length, 1024));
    marks.set(this.marks);
    this.marks = marks;
  }

  private growSlots(n: number): void {
    const size = Math.max(n, this.touched.length * 2, 1024);
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
    this.touched = widen(this.touched, (k) => new Int32Array(k));
  }
}

/**
 * The slots of `sums` best first by `values[slot]` descending, ties by id ascending, handed to `take` one by one
 * until it returns false: as the first slots of a full sort, but ordering only a bounded head (`expect` slots,
 * doubled while `take` asks for more) rather than every touched row.
 */
export function walkRanked(
  sums: SessionSums,
  values: Float64Array,
  expect: number,
  take: (slot: number) => boolean,
): void {
  const count = sums.count;
  everySlot(count);
  let done = 0;
  for (let k = Math.min(expect, count); ; k = Math.min(count, k * 2)) {
    if (headScratch.length < k) headScratch = new Int32Array(Math.max(k, headScratch.length * 2));
    // A head is read to its end before the next is selected into the same scratch.
    const head = selectTopRows(slots, count, values, k, sums.rankOf, headScratch);
    for (; done < head.length; done++) if (!take(head[done])) return;
    if (k >= count) return;
  }
}

/**
 * Hands `keep` the slots of `sums` best first by `values[slot]` (ties by id) until it has kept `need` of them (returned
 * true) or every slot was handed over: what walkRanked with a `take` that stops after `need` keeps does — the same
 * slots asked about, the same kept — without ordering them. It selects the best `need` + HEADROOM slots once,
 * then hands over the best `need` of those in no particular order, and for each one refused (the session's own
 * items, a rule) the next best, in rounds: the best m of a total order contain the best m′ < m, so each round hands
 * over exactly the slots an ordered walk would reach next. Only past the headroom does it walk in order. Ordering
 * the head was a third of every selection, and a session list selects four.
 */
export function keepBest(
  sums: SessionSums,
  values: Float64Array,
  need: number,
  keep: (slot: number) => boolean,
): void {
  const count = sums.count;
  if (count === 0 || need <= 0) return;
  everySlot(count);
  const width = Math.min(count, need + HEADROOM);
  if (headScratch.length < width) headScratch = new Int32Array(Math.max(width, headScratch.length * 2));
  const head = selectTopRows(slots, count, values, width, sums.rankOf, headScratch, false);
  if (roundScratch.length < width) roundScratch = new Int32Array(Math.max(width, roundScratch.length * 2));
  if (handed.length < count) {
    handed = new Int32Array(Math.max(count, handed.length * 2));
    keptThen = new Uint8Array(handed.length);
    handedCall = 0;
  }
  if (handedCall === 0x7fffffff) {
    handed.fill(0);
    handedCall = 0;
  }
  const call = ++handedCall;
  let kept = 0;
  for (let m = Math.min(need, width); ; m = Math.min(width, m + (need - kept))) {
    const round = selectTopRows(head, width, values, m, sums.rankOf, roundScratch, false);
    for (let i = 0; i < round.length; i++) {
      const slot = round[i];
      if (handed[slot] === call) continue;
      handed[slot] = call;
      const k = keep(slot);
      keptThen[slot] = k ? 1 : 0;
      if (k) kept += 1;
    }
    if (kept >= need || m >= count) return;
    if (m >= width) break;
  }
  // More refused than the headroom: on in order, past the slots already handed over.
  kept = 0;
  walkRanked(sums, values, width * 2, (slot) => {
    if (kept >= need) return false;
    if (handed[slot] === call ? keptThen[slot] === 1 : keep(slot)) kept += 1;
    return true;
  });
}

/** keepBest's selection beyond the `need` best: the refusals it settles without an ordered walk. */
const HEADROOM = 16;

/** keepBest's rounds, and per slot the call that handed it over and whether it was kept then. */
let roundScratch = new Int32Array(128);
let handed = new Int32Array(0);
let keptThen = new Uint8Array(0);
let handedCall = 0;

/** Makes `slots` 0, 1, 2, … up to at least `count`. */
function everySlot(count: number): void {
  if (slots.length >= count) return;
  slots = new Int32Array(Math.max(count, slots.length * 2));
  for (let i = 0; i < slots.length; i++) slots[i] = i;
}

/** The heads walkRanked orders, reused: a session list walks four (two sums of two sources). */
let headScratch = new Int32Array(128);

/** 0, 1, 2, …: every slot, the rows walkRanked selects among (its values are by slot). */
let slots = new Int32Array(0);
