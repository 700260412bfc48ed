import { dot } from '../common/vectors';
import type { BlendWeights } from './blend';
import type { CandidateSet } from './candidates';

/** A candidate's blend score with its present `cos` (blendScoreOf: the formula is written once). */
export type SlotScore = (set: CandidateSet, w: BlendWeights, slot: number) => number;

/**
 * Cosines of a served list computed only where they can change the list. A 512-d dot product per candidate
 * was most of a personalised or session list's arithmetic (some 350 candidates, two cosines each in a
 * session), yet the blend's other terms already rule most candidates out: a popular item or a weak
 * co-purchase neighbour cannot reach the first places whatever its cosine. Serving ranks one blend once, so
 * it computes a candidate's cosines only when the candidate's best possible score (each cosine at its
 * Cauchy–Schwarz bound) could still reach the places asked for; tuning scores every candidate under many
 * blends and computes them all (RankingSources, SessionSources).
 */
export interface DeferredCosines {
  /** The length of each query vector a cosine column is taken against (1 up to rounding: normalised). */
  queryNorms: readonly number[];
  /** Each candidate's vector, for candidates whose cosines are not computed yet (undefined otherwise). */
  vectors: Array<Float32Array | undefined>;
  /** 1 where the cosine columns hold the real cosines. */
  known: Uint8Array;
  /** Candidates whose cosines are not computed yet. */
  pending: number;
}

/** A deferral for `size` candidates against query vectors `queries`. */
export function deferCosines(size: number, queries: readonly Float32Array[]): DeferredCosines {
  return {
    queryNorms: queries.map((q) => Math.sqrt(dot(q, q))),
    vectors: [],
    known: new Uint8Array(size),
    pending: 0,
  };
}

/** The cosine columns of one kind of candidate set, as resolving them needs to see them. */
export interface CosineColumns {
  /** Each cosine column with the weight the blend multiplies it by, in DeferredCosines.queryNorms' order. */
  columns: readonly Float64Array[];
  weights: readonly number[];
  /** The blend score of candidate `i` with the columns' present values. */
  score(i: number): number;
  /** Writes candidate `i`'s real cosines (its vector is `v`) into the columns. */
  compute(i: number, v: Float32Array): void;
}

/** |v|, once per vector object: the index's vectors live as long as the index and never change. */
const norms = new WeakMap<Float32Array, number>();
function normOf(v: Float32Array): number {
  let n = norms.get(v);
  if (n === undefined) {
    n = Math.sqrt(dot(v, v));
    norms.set(v, n);
  }
  return n;
}

/** Room for rounding: a float64 sum of 512 float32 products is off by far less than this, relatively. */
const SLACK = 1e-9;

/**
 * Computes the cosines that decide the best `need` of `n` candidates; every other candidate's cosines are set
 * to their lowest possible values, which rank it below all of those (as its real cosines would). Candidates
 * are resolved best possible score first until the `need`-th best real score so far beats the best possible
 * score of every candidate left. Calling it again with a larger `need` resolves more.
 */
export function resolveDeferred(d: DeferredCosines, n: number, need: number, c: CosineColumns): void {
  if (d.pending === 0) return;
  const { columns, weights } = c;
  const wAbs = weights.reduce((sum, w) => sum + Math.abs(w), 0);
  // Cauchy–Schwarz: |cos_c| ≤ |query_c|·|v| for each column, slightly widened for rounding.
  const cosBound = (i: number, col: number) => d.queryNorms[col] * normOf(d.vectors[i]!) * (1 + SLACK);
  // The best possible score of each pending candidate, and the real scores of the known ones.
  const bound = new Float64Array(n);
  const pendingSlots = new Int32Array(d.pending);
  let p = 0;
  const best = new TopScores(Math.max(1, need));
  for (let i = 0; i < n; i++) {
    if (d.known[i]) {
      best.offer(c.score(i));
      continue;
    }
    for (const col of columns) col[i] = 0;
    const rest = c.score(i);
    let reach = 0;
    for (let col = 0; col < columns.length; col++) reach += Math.abs(weights[col]) * cosBound(i, col);
    bound[i] = rest + reach + SLACK * (1 + Math.abs(rest) + wAbs);
    pendingSlots[p++] = i;
  }
  // Highest bound first: a max-heap over the pending slots.
  const heap = new SlotHeap(pendingSlots, bound);
  while (heap.size > 0) {
    const i = heap.peek();
    if (need < 1 || (best.full && best.min > bound[i])) break;
    heap.pop();
    c.compute(i, d.vectors[i]!);
    d.known[i] = 1;
    d.vectors[i] = undefined;
    d.pending -= 1;
    best.offer(c.score(i));
  }
  // The rest cannot reach the first `need` places: their lowest possible cosines keep them below.
  for (let k = 0; k < heap.size; k++) {
    const i = heap.slotAt(k);
    for (let col = 0; col < columns.length; col++) {
      const b = cosBound(i, col);
      columns[col][i] = weights[col] >= 0 ? -b : b;
    }
  }
}

/** resolveDeferred for a personalised candidate set (its one cosine, to the profile). */
export function resolveCosines(set: CandidateSet, w: BlendWeights, need: number, scoreOf: SlotScore): void {
  const d = set.deferred;
  if (!d) return;
  resolveDeferred(d, set.size, need, {
    columns: [set.cos],
    weights: [w.cos],
    score: (i) => scoreOf(set, w, i),
    compute: (i, v) => {
      set.cos[i] = dot(set.profile!, v);
    },
  });
}

/** The `k` largest scores offered so far (a min-heap: `min` is the k-th largest once `full`). */
class TopScores {
  private readonly heap: Float64Array;
  private size = 0;
  constructor(private readonly k: number) {
    this.heap = new Float64Array(k);
  }
  get full(): boolean {
    return this.size === this.k;
  }
  get min(): number {
    return this.heap[0];
  }
  offer(x: number): void {
    const h = this.heap;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (h[parent] <= x) break;
        h[i] = h[parent];
        i = parent;
      }
      h[i] = x;
      return;
    }
    if (x <= h[0]) return;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= this.size) break;
      if (c + 1 < this.size && h[c + 1] < h[c]) c += 1;
      if (h[c] >= x) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = x;
  }
}

/** Slots by a key, largest first (a binary max-heap built in place, in linear time). */
class SlotHeap {
  size: number;
  constructor(
    private readonly slots: Int32Array,
    private readonly key: Float64Array,
  ) {
    this.size = slots.length;
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }
  peek(): number {
    return this.slots[0];
  }
  slotAt(k: number): number {
    return this.slots[k];
  }
  pop(): void {
    this.slots[0] = this.slots[--this.size];
    this.siftDown(0);
  }
  private siftDown(from: number): void {
    const s = this.slots;
    const key = this.key;
    const slot = s[from];
    const x = key[slot];
    let i = from;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= this.size) break;
      if (c + 1 < this.size && key[s[c + 1]] > key[s[c]]) c += 1;
      if (key[s[c]] <= x) break;
      s[i] = s[c];
      i = c;
    }
    s[i] = slot;
  }
}
