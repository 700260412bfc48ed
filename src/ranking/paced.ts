/**
 * Work on a large shop's signals done a slice at a time: a generator yields between slices, and a serving
 * process awaits a turn of its event loop there (runPaced) so requests are answered meanwhile, where a
 * computation in memory (a spec, the fine-tune's gate, another thread) runs it straight through (drain).
 */
export type Paced<T> = Generator<void, T>;

/** Comparisons, or plain array steps counted as an eighth of one, per slice: roughly 5–10 ms of work. */
export const PACED_SLICE = 50_000;

/** A turn of the event loop: what a serving process awaits between slices (requests waiting run first). */
export const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs the steps straight through. */
export function drain<T>(steps: Paced<T>): T {
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/** Runs the steps, awaiting `between()` after each slice. */
export async function runPaced<T>(steps: Paced<T>, between: () => Promise<void>): Promise<T> {
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    await between();
  }
}

/** Sorted runs of this many rows are merged; each run is sorted in one go. */
const SORTED_RUN = 4096;

/**
 * `rows` sorted by `before` (a strict total order: no two rows tie, so any correct sort gives this order), as
 * a new array, by a bottom-up merge sort that yields between slices: sorted runs, then passes merging pairs.
 */
export function* sortRowsPaced(
  rows: Int32Array,
  before: (a: number, b: number) => boolean,
): Paced<Int32Array> {
  const n = rows.length;
  let from = Int32Array.from(rows);
  let work = 0;
  for (let lo = 0; lo < n; lo += SORTED_RUN) {
    const hi = Math.min(n, lo + SORTED_RUN);
    from.subarray(lo, hi).sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    work += (hi - lo) * 12;
    if (work >= PACED_SLICE) {
      work = 0;
      yield;
    }
  }
  let into = new Int32Array(n);
  for (let width = SORTED_RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(n, lo + width);
      const hi = Math.min(n, lo + 2 * width);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) into[k++] = before(from[j], from[i]) ? from[j++] : from[i++];
      while (i < mid) into[k++] = from[i++];
      while (j < hi) into[k++] = from[j++];
      work += hi - lo;
      if (work >= PACED_SLICE) {
        work = 0;
        yield;
      }
    }
    [from, into] = [into, from];
  }
  return from;
}
