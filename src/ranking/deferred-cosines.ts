import { dot } from '../common/vectors';
import type { BlendWeights } from './blend';
import type { CandidateSet } from './candidates';

/**
 * Cosines of a served list computed only where they can change the list. A 512-d dot product per candidate
 * was most of a personalised list's arithmetic (some 350 candidates), yet the blend's other terms already
 * rule most candidates out: a popular item or a weak co-purchase neighbour cannot reach the first places
 * whatever its cosine. Serving ranks one blend once, so it computes a candidate's cosine only when the
 * candidate's best possible score (the cosine at its Cauchy–Schwarz bound) could still reach the places
 * asked for; tuning scores every candidate under many blends and computes them all (RankingSources).
 */
export interface DeferredCosines {
  /** The profile vector's length (1 up to rounding: it is normalised). */
  profileNorm: number;
  /** Each candidate's vector, for candidates whose cosine is not computed yet (undefined otherwise). */
  vectors: Array<Float32Array | undefined>;
  /** 1 where `CandidateSet.cos` holds the real cosine. */
  known: Uint8Array;
  /** Candidates whose cosine is not computed yet. */
  pending: number;
}

/**
 * The blend of a candidate set, written once (personalised-ranking.ts): every slot's score with its present
 * `cos` into `out` (column by column), and one slot's. The two must agree to the bit.
 */
export interface SetScorer {
  all(set: CandidateSet, w: BlendWeights, out: Float64Array): Float64Array;
  one(set: CandidateSet, w: BlendWeights, slot: number): number;
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
 * Computes the cosines that decide the best `need` candidates under `w`; every other candidate's `cos` is
 * set to its lowest possible value, which ranks it below all of those (as its real cosine would). Candidates
 * are resolved best possible score first until the `need`-th best real score so far beats the best possible
 * score of every candidate left. Calling it again with a larger `need` resolves more.
 */
export function resolveCosines(set: CandidateSet, w: BlendWeights, need: number, score: SetScorer): void {
  const d = set.deferred;
  if (!d || d.pending === 0) return;
  const n = set.size;
  const wCos = Math.abs(w.cos);
  // Every slot scored in one column-wise pass with the pending cosines at 0: the known slots' real scores and
  // the pending ones' scores without their cosine. Slot by slot, each score reads every feature through its
  // key, several times the cost of a pass down each column.
  const cosBound = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (d.known[i]) continue;
    set.cos[i] = 0;
    cosBound[i] = d.profileNorm * normOf(d.vectors[i]!) * (1 + SLACK);
  }
  // Turned in place into the best possible score of each pending candidate (the known keep their real one).
  const bound = score.all(set, w, new Float64Array(n));
  const pendingSlots = new Int32Array(d.pending);
  let p = 0;
  const best = new TopScores(Math.max(1, need));
  for (let i = 0; i < n; i++) {
    if (d.known[i]) {
      best.offer(bound[i]);
      continue;
    }
    const rest = bound[i];
    bound[i] = rest + wCos * cosBound[i] + SLACK * (1 + Math.abs(rest) + wCos);
    pendingSlots[p++] = i;
  }
  // Highest bound first: a max-heap over the pending slots.
  const heap = new SlotHeap(pendingSlots, bound);
  while (heap.size > 0) {
    const i = heap.peek();
    if (need < 1 || (best.full && best.min > bound[i])) break;
    heap.pop();
    const v = d.vectors[i]!;
    set.cos[i] = dot(set.profile!, v);
    d.known[i] = 1;
    d.vectors[i] = undefined;
    d.pending -= 1;
    best.offer(score.one(set, w, i));
  }
  // The rest cannot reach the first `need` places: their lowest possible cosine keeps them below.
  for (let k = 0; k < heap.size; k++) {
    const i = heap.slotAt(k);
    set.cos[i] = w.cos >= 0 ? -cosBound[i] : cosBound[i];
  }
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
