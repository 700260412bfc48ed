/**
 * The best `k` of the indices 0…n−1 under `before` (a strict total order: "a ranks before b"), best first,
 * leaving out the indices `skip` accepts. A bounded heap keeps the k worst-of-the-best at its root, so the
 * common case — a candidate that does not beat the k-th — costs one comparison, and nothing is sorted but
 * the k kept. Because `before` is total, the result does not depend on the order the indices are visited in.
 */
export function topK(
  n: number,
  k: number,
  before: (a: number, b: number) => boolean,
  skip?: (index: number) => boolean,
): Int32Array {
  const cap = Math.max(0, Math.min(k, n));
  const heap = new Int32Array(cap);
  let size = 0;
  // Root = the kept index every other kept index ranks before.
  const siftDown = (from: number): void => {
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) return;
      const r = l + 1;
      const worse = r < size && before(heap[l], heap[r]) ? r : l;
      if (!before(heap[i], heap[worse])) return;
      const t = heap[i];
      heap[i] = heap[worse];
      heap[worse] = t;
      i = worse;
    }
  };
  for (let x = 0; x < n && cap > 0; x++) {
    if (skip?.(x)) continue;
    if (size < cap) {
      let i = size++;
      heap[i] = x;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!before(heap[p], heap[i])) break;
        const t = heap[i];
        heap[i] = heap[p];
        heap[p] = t;
        i = p;
      }
    } else if (before(x, heap[0])) {
      heap[0] = x;
      siftDown(0);
    }
  }
  // Pop the worst to the end until the heap is empty: the array ends up best first.
  for (let end = size - 1; end > 0; end--) {
    const t = heap[0];
    heap[0] = heap[end];
    heap[end] = t;
    size = end;
    siftDown(0);
  }
  return heap;
}

/**
 * Best `k` of `candidates[0…count)` by `scores[index]` descending, ties by lower index (callers number items
 * in ascending id order, so index order is id order), leaving out the indices `skip` accepts.
 */
export function topKByScore(
  candidates: ArrayLike<number>,
  count: number,
  scores: Float64Array | Float32Array,
  k: number,
  skip: (index: number) => boolean,
): number[] {
  const before = (a: number, b: number): boolean => {
    const x = candidates[a];
    const y = candidates[b];
    return scores[x] > scores[y] || (scores[x] === scores[y] && x < y);
  };
  return Array.from(
    topK(count, k, before, (c) => skip(candidates[c])),
    (c) => candidates[c],
  );
}

/**
 * The best `k` of `rows[0…count)` by `values[row]` descending, ties by lower row, best first: topK with the
 * order written inline. The co-purchase step of every personalised list ranks thousands of rows with it, and
 * a comparator passed as a function (topK's, shared by many call sites) is not inlined by the JIT.
 */
export function topRowsByValue(rows: Int32Array, count: number, values: Float64Array, k: number): Int32Array {
  const cap = Math.max(0, Math.min(k, count));
  const heap = new Int32Array(cap);
  // Max-heap of "worse": the root is the kept row every other kept row ranks before.
  let size = 0;
  const siftDown = (from: number): void => {
    let i = from;
    const row = heap[i];
    const v = values[row];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      let cRow = heap[c];
      let cv = values[cRow];
      const r = c + 1;
      if (r < size) {
        const rRow = heap[r];
        const rv = values[rRow];
        if (rv < cv || (rv === cv && rRow > cRow)) {
          c = r;
          cRow = rRow;
          cv = rv;
        }
      }
      // The worse child moves up while it is worse than the row sinking down.
      if (!(cv < v || (cv === v && cRow > row))) break;
      heap[i] = cRow;
      i = c;
    }
    heap[i] = row;
  };
  for (let x = 0; x < count && cap > 0; x++) {
    const row = rows[x];
    const v = values[row];
    if (size < cap) {
      let i = size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        const pRow = heap[p];
        const pv = values[pRow];
        // The parent must be the worse of the two.
        if (pv < v || (pv === v && pRow > row)) break;
        heap[i] = pRow;
        i = p;
      }
      heap[i] = row;
    } else {
      const rootRow = heap[0];
      const rv = values[rootRow];
      if (v > rv || (v === rv && row < rootRow)) {
        heap[0] = row;
        siftDown(0);
      }
    }
  }
  for (let end = size - 1; end > 0; end--) {
    const t = heap[0];
    heap[0] = heap[end];
    heap[end] = t;
    size = end;
    siftDown(0);
  }
  return heap;
}
