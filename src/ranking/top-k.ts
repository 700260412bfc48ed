/**
 * The best `k` of the indices 0…n−1 under `before` (a strict total order: "a ranks before b"), best first,
 * leaving out the indices `skip` accepts. Because `before` is total, the result does not depend on the order the
 * indices are visited in.
 */
export function topK(
  n: number,
  k: number,
  before: (a: number, b: number) => boolean,
  skip?: (index: number) => boolean,
): Int32Array {
  return bestOf(n, k, undefined, undefined, before, skip);
}

/**
 * The slots as a plain array. Array.from would walk the typed array through its iterator, one result object per
 * element, on every list served.
 */
export function slotArray(slots: Int32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < slots.length; i++) out.push(slots[i]);
  return out;
}

/**
 * Best `k` of `candidates[0…count)` by `scores[index]` descending, ties by lower index (callers number items
 * in ascending id order, so index order is id order), leaving out the indices `skip` accepts.
 */
export function topKByScore(
  candidates: Int32Array,
  count: number,
  scores: Float64Array | Float32Array,
  k: number,
  skip: (index: number) => boolean,
): number[] {
  return slotArray(bestOf(count, k, candidates, scores, undefined, skip));
}

/**
 * The best `k` of `rows[0…count)` by `values[row]` descending, ties by lower row, best first. The co-purchase
 * step of every personalised list ranks thousands of rows with it: the order is compared by bestOf itself, not
 * by a comparator passed in (one shared by many call sites is not inlined by the JIT). Its rows arrive in no
 * particular order of value, where a bounded heap is as fast as selectTopRows.
 */
export function topRowsByValue(rows: Int32Array, count: number, values: Float64Array, k: number): Int32Array {
  return bestOf(count, k, rows, values, undefined, undefined);
}

/**
 * The best `k` of `rows[0…count)` by `values[row]` descending, ties by `order[row]` ascending (by the row
 * itself without `order`), best first. It finds the k-th best value first (a quickselect over a copy of the
 * values, a few passes of plain number comparisons), then sorts only the rows at or above it. For the sums
 * over a session's neighbour lists a bounded heap was slower: they arrive roughly in ascending order, so a
 * third of the rows replaced its root and paid a sift each (walkRanked: 22 % → 15 % of a session list).
 * With `into` (long enough for the result) the result is a view on it: no buffer is allocated. With `sorted`
 * false the same rows come in no particular order (a caller that needs the set, not its order, skips the sort).
 */
export function selectTopRows(
  rows: Int32Array,
  count: number,
  values: Float64Array,
  k: number,
  order: Int32Array | undefined,
  into?: Int32Array,
  sorted = true,
): Int32Array {
  const cap = Math.max(0, Math.min(k, count));
  if (cap === 0) return new Int32Array(0);
  if (count >= SAMPLED_FROM && count >= SAMPLED_RATIO * cap) {
    const kept = rowsAtOrAboveSample(rows, count, values, cap);
    if (kept >= cap) {
      rows = sampledRows;
      count = kept;
    }
  }
  if (scratch.length < count) scratch = new Float64Array(Math.max(count, scratch.length * 2));
  const copy = scratch;
  for (let x = 0; x < count; x++) copy[x] = values[rows[x]];
  const threshold = nthLargest(copy, count, cap - 1);
  const out = into && into.length >= cap ? into.subarray(0, cap) : new Int32Array(cap);
  // As in rowsAtOrAboveSample, without a branch on the comparison: fewer than `cap` values are above the
  // threshold, so `out[n]` is always in bounds. Ties at it are rare, and their branch predictable.
  let n = 0;
  const ties: number[] = [];
  for (let x = 0; x < count; x++) {
    const r = rows[x];
    const v = values[r];
    out[n] = r;
    n += +(v > threshold);
    if (v === threshold) ties.push(r);
  }
  if (ties.length > cap - n) ties.sort(order === undefined ? (a, b) => a - b : (a, b) => order[a] - order[b]);
  for (let t = 0; n < cap; t++) out[n++] = ties[t];
  if (!sorted) return out;
  // The comparators return only small integers: a difference of two sums is a fractional number, and every
  // one returned to the sort was boxed on the heap (a tenth of what a session list allocated).
  if (cap > INSERTION_SORT_MAX)
    return out.sort(
      order === undefined
        ? (a, b) => (values[b] > values[a] ? 1 : values[b] < values[a] ? -1 : a - b)
        : (a, b) => (values[b] > values[a] ? 1 : values[b] < values[a] ? -1 : order[a] - order[b]),
    );
  // A head of a few dozen rows (a session list's first, nearly always its only one) is sorted in place with its
  // comparisons written out: a typed array's sort calls the comparator for each (a quarter of this function).
  for (let i = 1; i < cap; i++) {
    const r = out[i];
    const v = values[r];
    const o = order === undefined ? r : order[r];
    let j = i - 1;
    for (; j >= 0; j--) {
      const q = out[j];
      const w = values[q];
      if (w > v || (w === v && (order === undefined ? q : order[q]) < o)) break;
      out[j + 1] = q;
    }
    out[j + 1] = r;
  }
  return out;
}

/**
 * The best `k` of the indices 0…count−1 by `values[i]` descending, ties by the lower index, returned in index
 * order (not best first): a quickselect finds the k-th best value and one pass keeps the indices at or above it.
 * For a bound on a set whose order is its own (a training context keeps its heaviest items in the order seen),
 * sorting the kept ones by value would be wasted work.
 */
export function topIndicesInOrder(values: Float64Array, count: number, k: number): Int32Array {
  const cap = Math.max(0, Math.min(k, count));
  if (cap === count) return Int32Array.from({ length: count }, (_, i) => i);
  if (cap === 0) return new Int32Array(0);
  if (scratch.length < count) scratch = new Float64Array(Math.max(count, scratch.length * 2));
  scratch.set(values.subarray(0, count));
  const threshold = nthLargest(scratch, count, cap - 1);
  // Ties at the threshold fill the places the values above it leave, lowest index first.
  let above = 0;
  for (let i = 0; i < count; i++) if (values[i] > threshold) above++;
  let tiesLeft = cap - above;
  const out = new Int32Array(cap);
  let n = 0;
  for (let i = 0; i < count; i++) {
    const v = values[i];
    if (v > threshold || (v === threshold && tiesLeft-- > 0)) out[n++] = i;
  }
  return out;
}

/**
 * selectTopRows first narrows inputs of at least this many rows, and at least SAMPLED_RATIO times the head, to the
 * rows at or above a threshold read off a sample (rowsAtOrAboveSample). A quickselect over all of a session's
 * ~900 touched rows mispredicted a branch at most of its comparisons: 8.5 µs for a head of 66, four of them per
 * session list.
 */
const SAMPLED_FROM = 256;
const SAMPLED_RATIO = 4;
/** Values in the sample. */
const SAMPLE_SIZE = 64;

/** The rows rowsAtOrAboveSample kept, reused. */
let sampledRows = new Int32Array(256);
const sample = new Float64Array(SAMPLE_SIZE);

/**
 * Puts into `sampledRows` the rows of `rows[0…count)` whose value is at or above a threshold expected to keep
 * about twice `cap` of them: the value of an evenly strided sample's matching rank. Returns how many it kept.
 * When that is at least `cap`, the best `cap` rows are all among them (the cap-th best value is at or above the
 * threshold, so are its ties), and selecting among them gives what selecting among all would; when it is fewer,
 * the caller selects among all.
 */
function rowsAtOrAboveSample(rows: Int32Array, count: number, values: Float64Array, cap: number): number {
  const stride = count / SAMPLE_SIZE;
  for (let j = 0; j < SAMPLE_SIZE; j++) sample[j] = values[rows[Math.floor(j * stride + stride / 2)]];
  // The sample's rank whose share of the sample is twice the head's share of the rows.
  const rank = Math.min(SAMPLE_SIZE - 1, Math.ceil((2 * cap * SAMPLE_SIZE) / count));
  const threshold = nthLargest(sample, SAMPLE_SIZE, rank);
  if (sampledRows.length < count) sampledRows = new Int32Array(Math.max(count, sampledRows.length * 2));
  const out = sampledRows;
  // Every row is written and the count moves by the comparison's 0 or 1: about a quarter of the rows pass, in no
  // pattern, and a branch per row mispredicted at most of them (4–5 times slower in isolation).
  let m = 0;
  for (let x = 0; x < count; x++) {
    const r = rows[x];
    out[m] = r;
    m += +(values[r] >= threshold);
  }
  return m;
}

/** Heads up to this long are insertion-sorted by selectTopRows (quadratic, but cheap while this short). */
const INSERTION_SORT_MAX = 96;

/** Reused by selectTopRows: a list ranks tens of thousands of rows a second. */
let scratch = new Float64Array(1024);

/**
 * The value that would sit at index `i` of `a[0…n)` sorted descending (a quickselect, median-of-three pivot);
 * reorders `a`. Each round moves the values above the pivot to the front of the range and those equal to it right
 * after, swapping every element and moving the store index by the comparison's 0 or 1: Hoare's partition branched
 * on every comparison and mispredicted most of them (142 values: 1.4 µs → 0.63 µs in isolation). The equal values
 * are set apart, so ties (sums of similarities tie often) cost no extra rounds.
 */
function nthLargest(a: Float64Array, n: number, i: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const x = a[lo];
    const y = a[(lo + hi) >> 1];
    const z = a[hi];
    const pivot = x > y ? (y > z ? y : x > z ? z : x) : x > z ? x : y > z ? z : y;
    let s = lo;
    for (let k = lo; k <= hi; k++) {
      const v = a[k];
      a[k] = a[s];
      a[s] = v;
      s += +(v > pivot);
    }
    const above = s;
    for (let k = above; k <= hi; k++) {
      const v = a[k];
      a[k] = a[s];
      a[s] = v;
      s += +(v === pivot);
    }
    // a[lo…above) > pivot, a[above…s) = pivot, a[s…hi] < pivot. A NaN pivot equals nothing, itself included: no
    // progress, and no order to find.
    if (i < above) hi = above - 1;
    else if (i < s || s === lo) return pivot;
    else lo = s;
  }
  return a[lo];
}

/**
 * The one heap core of the top-k functions above: the best `k` of `count` items — `rows[x]` for x < count, or x
 * itself without `rows` — best first, leaving out the items `skip` accepts. An item ranks before another when
 * its score is higher; between equal scores (or without `scores`) when `tieBefore` says so, or else when it is
 * the lower item. A bounded heap keeps the k worst-of-the-best at its root, so the common case — an item that
 * does not beat the k-th — costs one comparison, and nothing is sorted but the k kept. The kept items' scores
 * sit next to them in `keys`, so a comparison reads no score through an item, and the comparisons are module
 * functions the JIT inlines (closures over the arguments would be read from memory at every comparison).
 */
function bestOf(
  count: number,
  k: number,
  rows: Int32Array | undefined,
  scores: Float64Array | Float32Array | undefined,
  tieBefore: ((a: number, b: number) => boolean) | undefined,
  skip: ((item: number) => boolean) | undefined,
): Int32Array {
  const cap = Math.max(0, Math.min(k, count));
  const heap = new Int32Array(cap);
  const keys = new Float64Array(cap);
  let size = 0;
  for (let x = 0; x < count && cap > 0; x++) {
    const item = rows === undefined ? x : rows[x];
    if (skip !== undefined && skip(item)) continue;
    const key = scores === undefined ? 0 : scores[item];
    if (size < cap) {
      let i = size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!ranksBefore(keys[p], heap[p], key, item, tieBefore)) break;
        heap[i] = heap[p];
        keys[i] = keys[p];
        i = p;
      }
      heap[i] = item;
      keys[i] = key;
    } else if (ranksBefore(key, item, keys[0], heap[0], tieBefore)) {
      siftDown(heap, keys, size, item, key, tieBefore);
    }
  }
  // Move the worst to the end until the heap is empty: the array ends up best first.
  for (let end = size - 1; end > 0; end--) {
    const worst = heap[0];
    const worstKey = keys[0];
    siftDown(heap, keys, end, heap[end], keys[end], tieBefore);
    heap[end] = worst;
    keys[end] = worstKey;
  }
  // `skip` may have left fewer than k items: only those are the answer.
  return size < cap ? heap.subarray(0, size) : heap;
}

/** Whether item `a` with score `ka` ranks before item `b` with score `kb` (see bestOf). */
function ranksBefore(
  ka: number,
  a: number,
  kb: number,
  b: number,
  tieBefore: ((a: number, b: number) => boolean) | undefined,
): boolean {
  if (ka !== kb) return ka > kb;
  return tieBefore === undefined ? a < b : tieBefore(a, b);
}

/**
 * Puts `item` (score `key`) at the root of the heap `heap[0…size)` in place of the root, and sinks it: the worse
 * child moves up while it ranks after the item. Root = the kept item every other kept item ranks before.
 */
function siftDown(
  heap: Int32Array,
  keys: Float64Array,
  size: number,
  item: number,
  key: number,
  tieBefore: ((a: number, b: number) => boolean) | undefined,
): void {
  let i = 0;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= size) break;
    let cItem = heap[c];
    let cKey = keys[c];
    const r = c + 1;
    if (r < size && ranksBefore(cKey, cItem, keys[r], heap[r], tieBefore)) {
      c = r;
      cItem = heap[r];
      cKey = keys[r];
    }
    if (!ranksBefore(key, item, cKey, cItem, tieBefore)) break;
    heap[i] = cItem;
    keys[i] = cKey;
    i = c;
  }
  heap[i] = item;
  keys[i] = key;
}
