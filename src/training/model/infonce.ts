// Over 400 lines: one kernel class whose forward pass, backward pass and scratch buffers share one memory
// layout; split, the gradient would sit apart from the loss it differentiates.
import type { ContextCsr } from './training-pairs';

/**
 * In-batch softmax (InfoNCE) loss of the projection model and its gradient, by hand.
 *
 * Forward, for a batch of B rows r = (basket b_r, target t_r):
 *   y_i = x̃_i W + R_i,        z_i = y_i / ‖y_i‖                       (every item the batch touches)
 *   s_r = Σ_j w_rj z_j,        u_r = s_r / ‖s_r‖                       (context of row r)
 *   ℓ_rc = u_r · z_{t_c} / τ   for the columns c that are valid for row r:
 *          c = r, or (t_c ≠ t_r, t_c not in r's context, b_c ≠ b_r) — a duplicate of the target or an
 *          item the user already has is not a negative;
 *   L = (1/B) Σ_r [ log Σ_valid exp ℓ_rc − ℓ_rr ].
 *
 * Backward (G_rc = ∂L/∂ℓ_rc = (softmax_rc − δ_rc) / B on valid entries, 0 elsewhere):
 *   ∂L/∂u_r = (1/τ) Σ_c G_rc z_{t_c}           ∂L/∂z_{t_c} += (1/τ) Σ_r G_rc u_r
 *   normalisation v = a/‖a‖:  ∂L/∂a = (g − (g·v) v) / ‖a‖          (g = ∂L/∂v)
 *   ∂L/∂z_j += Σ_r w_rj ∂L/∂s_r                                    (context items)
 *   ∂L/∂W = Σ_i x̃_iᵀ ∂L/∂y_i,   ∂L/∂R_i = ∂L/∂y_i.
 * The finite-difference test in infonce.spec.ts checks exactly this.
 *
 * Speed: item projections are computed once per step for the union of the batch's items (≈ the whole
 * shop for a 512 batch), so 2·|items|·d² for W and 3·B²·d for the logits dominate. Every one of those
 * products is written as C = A·Btᵀ over gathered/transposed contiguous Float32Array blocks and goes
 * through one register-blocked kernel (`gemmNT`); in V8 the loads, not the arithmetic, are the bottleneck,
 * and 4×2 blocking roughly doubles throughput over row-by-row loops. Buffers are allocated once.
 *
 * One file on purpose (~560 lines): forward and backward share the buffers and the index layout, and the
 * gradient check reads best against a single derivation.
 */
export interface ProjectionParams {
  dim: number;
  /** x̃ for every item, row-major itemCount × dim. */
  reduced: Float32Array;
  /** W, row-major dim × dim. */
  weights: Float32Array;
  /** Residual rows, row-major × dim. */
  residuals: Float32Array;
  /** Residual row of each item, −1 for none. */
  residualRow: Int32Array;
}

export interface ParamGradients {
  weights: Float32Array;
  residuals: Float32Array;
}

export class InfoNceKernel {
  private readonly d: number;
  // Per active item, by position in `active` (rows of nA × d blocks).
  private readonly active: Int32Array;
  private readonly activeMark: Int32Array;
  private readonly posOf: Int32Array;
  private readonly xa: Float32Array;
  private readonly xat: Float32Array;
  private readonly za: Float32Array;
  private readonly yNorm: Float64Array;
  private readonly gza: Float32Array;
  private readonly gyat: Float32Array;
  private readonly wt: Float32Array;
  // Per basket slot of the batch.
  private basketSlotMark = new Int32Array(0);
  private basketSlot = new Int32Array(0);
  private readonly slotBasket: Int32Array;
  private readonly s: Float64Array;
  private readonly u: Float32Array;
  private readonly sNorm: Float64Array;
  // Per batch row (B × d blocks) and B × B logits.
  private readonly rowSlot: Int32Array;
  private readonly ub: Float32Array;
  private readonly vb: Float32Array;
  private readonly ubt: Float32Array;
  private readonly vbt: Float32Array;
  private readonly dub: Float32Array;
  private readonly dvb: Float32Array;
  private readonly g: Float32Array;
  private readonly gt: Float32Array;
  private readonly valid: Uint8Array;
  private readonly ctxMark: Int32Array;
  private mark = 0;
  private nActive = 0;
  private nSlots = 0;

  constructor(
    itemCount: number,
    dim: number,
    private readonly maxBatch: number,
    private readonly tau: number,
  ) {
    const d = dim;
    this.d = d;
    this.active = new Int32Array(itemCount);
    this.activeMark = new Int32Array(itemCount);
    this.posOf = new Int32Array(itemCount);
    this.xa = new Float32Array(itemCount * d);
    this.xat = new Float32Array(itemCount * d);
    this.za = new Float32Array(itemCount * d);
    this.yNorm = new Float64Array(itemCount);
    this.gza = new Float32Array(itemCount * d);
    this.gyat = new Float32Array(itemCount * d);
    this.wt = new Float32Array(d * d);
    this.slotBasket = new Int32Array(maxBatch);
    this.s = new Float64Array(maxBatch * d);
    this.u = new Float32Array(maxBatch * d);
    this.sNorm = new Float64Array(maxBatch);
    this.rowSlot = new Int32Array(maxBatch);
    this.ub = new Float32Array(maxBatch * d);
    this.vb = new Float32Array(maxBatch * d);
    this.ubt = new Float32Array(maxBatch * d);
    this.vbt = new Float32Array(maxBatch * d);
    this.dub = new Float32Array(maxBatch * d);
    this.dvb = new Float32Array(maxBatch * d);
    this.g = new Float32Array(maxBatch * maxBatch);
    this.gt = new Float32Array(maxBatch * maxBatch);
    this.valid = new Uint8Array(maxBatch * maxBatch);
    this.ctxMark = new Int32Array(itemCount);
  }

  /**
   * Mean InfoNCE loss over the rows `order[start..end)` (indices into `basket`/`target`). When `grads` is
   * given, writes ∂L/∂W and ∂L/∂R into it (overwriting; residual rows of untouched items are zeroed).
   */
  run(
    params: ProjectionParams,
    contexts: ContextCsr,
    basket: Int32Array,
    target: Int32Array,
    order: Int32Array,
    start: number,
    end: number,
    grads?: ParamGradients,
  ): number {
    const B = end - start;
    if (B <= 0) return 0;
    if (B > this.maxBatch) throw new Error(`batch of ${B} exceeds ${this.maxBatch}`);
    this.collect(contexts, basket, target, order, start, B);
    this.projectItems(params);
    this.contextVectors(contexts);
    const loss = this.softmax(contexts, basket, target, order, start, B, grads !== undefined);
    if (grads) {
      this.backwardLogits(B);
      this.backwardContexts(contexts, target, order, start, B);
      this.backwardItems(params, grads);
    }
    return loss;
  }

  /** Distinct baskets of the batch (rows of one basket share a context) and every item it touches. */
  private collect(
    contexts: ContextCsr,
    basket: Int32Array,
    target: Int32Array,
    order: Int32Array,
    start: number,
    B: number,
  ): void {
    const { offsets, items } = contexts;
    const nBaskets = offsets.length - 1;
    if (this.basketSlotMark.length < nBaskets) {
      this.basketSlotMark = new Int32Array(nBaskets);
      this.basketSlot = new Int32Array(nBaskets);
    }
    const { activeMark, active, posOf, basketSlotMark, basketSlot, slotBasket, rowSlot } = this;
    const stepMark = ++this.mark;
    let nSlots = 0;
    let nActive = 0;
    for (let r = 0; r < B; r++) {
      const p = order[start + r];
      const b = basket[p];
      if (basketSlotMark[b] !== stepMark) {
        basketSlotMark[b] = stepMark;
        basketSlot[b] = nSlots;
        slotBasket[nSlots++] = b;
        for (let k = offsets[b]; k < offsets[b + 1]; k++) {
          const it = items[k];
          if (activeMark[it] !== stepMark) {
            activeMark[it] = stepMark;
            posOf[it] = nActive;
            active[nActive++] = it;
          }
        }
      }
      rowSlot[r] = basketSlot[b];
      const t = target[p];
      if (activeMark[t] !== stepMark) {
        activeMark[t] = stepMark;
        posOf[t] = nActive;
        active[nActive++] = t;
      }
    }
    this.nSlots = nSlots;
    this.nActive = nActive;
  }

  /** Y = X̃_A·W (+R), z = y/‖y‖ for every touched item. */
  private projectItems(params: ProjectionParams): void {
    const { reduced, weights, residuals, residualRow } = params;
    const { active, xa, za, yNorm, wt } = this;
    const d = this.d;
    const nA = this.nActive;
    for (let a = 0; a < nA; a++) {
      const io = active[a] * d;
      const ao = a * d;
      for (let j = 0; j < d; j++) xa[ao + j] = reduced[io + j];
    }
    transpose(weights, d, d, wt);
    gemmNT(xa, wt, za, nA, d, d);
    for (let a = 0; a < nA; a++) {
      const ao = a * d;
      const row = residualRow[active[a]];
      if (row >= 0) {
        const ro = row * d;
        for (let j = 0; j < d; j++) za[ao + j] += residuals[ro + j];
      }
      let nn = 0;
      for (let j = 0; j < d; j++) nn += za[ao + j] * za[ao + j];
      const norm = Math.sqrt(nn);
      yNorm[a] = norm;
      const inv = norm > 0 ? 1 / norm : 0;
      for (let j = 0; j < d; j++) za[ao + j] *= inv;
    }
  }

  /** s = Σ w·z over each basket's context, u = s/‖s‖. */
  private contextVectors(contexts: ContextCsr): void {
    const { offsets, items, weights } = contexts;
    const { za, posOf, s, u, sNorm, slotBasket } = this;
    const d = this.d;
    for (let sl = 0; sl < this.nSlots; sl++) {
      const b = slotBasket[sl];
      const so = sl * d;
      s.fill(0, so, so + d);
      let k = offsets[b];
      const kEnd = offsets[b + 1];
      // Four history items per pass: one accumulator load/store per four multiply-adds.
      for (; k + 3 < kEnd; k += 4) {
        const w0 = weights[k];
        const w1 = weights[k + 1];
        const w2 = weights[k + 2];
        const w3 = weights[k + 3];
        const o0 = posOf[items[k]] * d;
        const o1 = posOf[items[k + 1]] * d;
        const o2 = posOf[items[k + 2]] * d;
        const o3 = posOf[items[k + 3]] * d;
        for (let j = 0; j < d; j++) {
          s[so + j] += w0 * za[o0 + j] + w1 * za[o1 + j] + w2 * za[o2 + j] + w3 * za[o3 + j];
        }
      }
      for (; k < kEnd; k++) {
        const w0 = weights[k];
        const o0 = posOf[items[k]] * d;
        for (let j = 0; j < d; j++) s[so + j] += w0 * za[o0 + j];
      }
      let nn = 0;
      for (let j = 0; j < d; j++) nn += s[so + j] * s[so + j];
      const norm = Math.sqrt(nn);
      sNorm[sl] = norm;
      const inv = norm > 0 ? 1 / norm : 0;
      for (let j = 0; j < d; j++) u[so + j] = s[so + j] * inv;
    }
  }

  /** Mask, logits and row-wise log-softmax; with `forGrad`, leaves ∂L/∂ℓ · (1/τ) in `g`. */
  private softmax(
    contexts: ContextCsr,
    basket: Int32Array,
    target: Int32Array,
    order: Int32Array,
    start: number,
    B: number,
    forGrad: boolean,
  ): number {
    const { offsets, items } = contexts;
    const { za, posOf, u, ub, vb, g, valid, ctxMark, rowSlot } = this;
    const d = this.d;
    for (let r = 0; r < B; r++) {
      const uo = rowSlot[r] * d;
      const vo = posOf[target[order[start + r]]] * d;
      const ro = r * d;
      for (let j = 0; j < d; j++) {
        ub[ro + j] = u[uo + j];
        vb[ro + j] = za[vo + j];
      }
    }
    // Every B × B cosine, masked entries included: cheaper than branching inside the blocked kernel.
    gemmNT(ub, vb, g, B, B, d);
    const invTau = 1 / this.tau;
    let lossSum = 0;
    for (let r = 0; r < B; r++) {
      const pr = order[start + r];
      const br = basket[pr];
      const tr = target[pr];
      // A fresh mark per row makes "t_c is in row r's context" one array read.
      const m = ++this.mark;
      for (let k = offsets[br]; k < offsets[br + 1]; k++) ctxMark[items[k]] = m;
      const lo = r * B;
      let max = -Infinity;
      for (let c = 0; c < B; c++) {
        const pc = order[start + c];
        const tc = target[pc];
        const ok = c === r || (tc !== tr && ctxMark[tc] !== m && basket[pc] !== br);
        valid[lo + c] = ok ? 1 : 0;
        if (!ok) continue;
        const l = g[lo + c] * invTau;
        if (l > max) max = l;
      }
      const diagonal = g[lo + r] * invTau;
      let sum = 0;
      for (let c = 0; c < B; c++) {
        if (!valid[lo + c]) {
          g[lo + c] = 0;
          continue;
        }
        const e = Math.exp(g[lo + c] * invTau - max);
        g[lo + c] = e;
        sum += e;
      }
      lossSum += max + Math.log(sum) - diagonal;
      if (forGrad) {
        // G_rc = (p_rc − δ_rc)/B, pre-multiplied by 1/τ for the chain rule through ℓ = u·v/τ.
        const scale = invTau / B;
        const f = scale / sum;
        for (let c = 0; c < B; c++) g[lo + c] *= f;
        g[lo + r] -= scale;
      }
    }
    return lossSum / B;
  }

  /** ∂L/∂u_r = Σ_c G_rc v_c (G·V) and ∂L/∂v_c = Σ_r G_rc u_r (Gᵀ·U). */
  private backwardLogits(B: number): void {
    const { g, gt, ub, vb, ubt, vbt, dub, dvb } = this;
    const d = this.d;
    transpose(vb, B, d, vbt);
    gemmNT(g, vbt, dub, B, d, B);
    transpose(g, B, B, gt);
    transpose(ub, B, d, ubt);
    gemmNT(gt, ubt, dvb, B, d, B);
  }

  /** Through u = s/‖s‖ (rows of one basket summed first), then scatter into ∂L/∂z of the items. */
  private backwardContexts(
    contexts: ContextCsr,
    target: Int32Array,
    order: Int32Array,
    start: number,
    B: number,
  ): void {
    const { offsets, items, weights } = contexts;
    const { s, u, sNorm, dub, dvb, gza, posOf, rowSlot, slotBasket } = this;
    const d = this.d;
    // `s` is reused for ∂L/∂s per slot.
    s.fill(0, 0, this.nSlots * d);
    for (let r = 0; r < B; r++) {
      const so = rowSlot[r] * d;
      const ro = r * d;
      for (let j = 0; j < d; j++) s[so + j] += dub[ro + j];
    }
    for (let sl = 0; sl < this.nSlots; sl++) {
      const so = sl * d;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += s[so + j] * u[so + j];
      const inv = sNorm[sl] > 0 ? 1 / sNorm[sl] : 0;
      for (let j = 0; j < d; j++) s[so + j] = (s[so + j] - dot * u[so + j]) * inv;
    }
    gza.fill(0, 0, this.nActive * d);
    for (let c = 0; c < B; c++) {
      const ao = posOf[target[order[start + c]]] * d;
      const co = c * d;
      for (let j = 0; j < d; j++) gza[ao + j] += dvb[co + j];
    }
    // Σ_r w_rj ∂L/∂s_r per item: transpose the batch's contexts (item → slot, weight) with a counting
    // sort, so each item accumulates four context rows per pass instead of one scattered update each.
    const nA = this.nActive;
    const { tOffsets, tSlot, tWeight } = this.ensureTransposeCapacity(contexts);
    tOffsets.fill(0, 0, nA + 1);
    for (let sl = 0; sl < this.nSlots; sl++) {
      const b = slotBasket[sl];
      for (let k = offsets[b]; k < offsets[b + 1]; k++) tOffsets[posOf[items[k]] + 1]++;
    }
    for (let a = 0; a < nA; a++) tOffsets[a + 1] += tOffsets[a];
    const fill = this.tFill;
    fill.set(tOffsets.subarray(0, nA));
    for (let sl = 0; sl < this.nSlots; sl++) {
      const b = slotBasket[sl];
      for (let k = offsets[b]; k < offsets[b + 1]; k++) {
        const at = fill[posOf[items[k]]]++;
        tSlot[at] = sl * d;
        tWeight[at] = weights[k];
      }
    }
    for (let a = 0; a < nA; a++) {
      const ao = a * d;
      let e = tOffsets[a];
      const eEnd = tOffsets[a + 1];
      for (; e + 3 < eEnd; e += 4) {
        const w0 = tWeight[e];
        const w1 = tWeight[e + 1];
        const w2 = tWeight[e + 2];
        const w3 = tWeight[e + 3];
        const o0 = tSlot[e];
        const o1 = tSlot[e + 1];
        const o2 = tSlot[e + 2];
        const o3 = tSlot[e + 3];
        for (let j = 0; j < d; j++)
          gza[ao + j] += w0 * s[o0 + j] + w1 * s[o1 + j] + w2 * s[o2 + j] + w3 * s[o3 + j];
      }
      for (; e < eEnd; e++) {
        const w0 = tWeight[e];
        const o0 = tSlot[e];
        for (let j = 0; j < d; j++) gza[ao + j] += w0 * s[o0 + j];
      }
    }
  }

  private tOffsets = new Int32Array(0);
  private tFill = new Int32Array(0);
  private tSlot = new Int32Array(0);
  private tWeight = new Float32Array(0);

  /** Buffers for the transposed contexts, sized for the largest possible batch of this data set. */
  private ensureTransposeCapacity(contexts: ContextCsr): {
    tOffsets: Int32Array;
    tSlot: Int32Array;
    tWeight: Float32Array;
  } {
    if (this.tOffsets.length < this.active.length + 1) {
      this.tOffsets = new Int32Array(this.active.length + 1);
      this.tFill = new Int32Array(this.active.length);
    }
    let needed = 0;
    for (let sl = 0; sl < this.nSlots; sl++) {
      const b = this.slotBasket[sl];
      needed += contexts.offsets[b + 1] - contexts.offsets[b];
    }
    if (this.tSlot.length < needed) {
      this.tSlot = new Int32Array(Math.max(needed, 2 * this.tSlot.length));
      this.tWeight = new Float32Array(this.tSlot.length);
    }
    return { tOffsets: this.tOffsets, tSlot: this.tSlot, tWeight: this.tWeight };
  }

  /** Through z = y/‖y‖ into R (copy) and W (X̃_Aᵀ·∂Y). */
  private backwardItems(params: ProjectionParams, grads: ParamGradients): void {
    const { residualRow } = params;
    const { za, yNorm, gza, active, xa, xat, gyat } = this;
    const d = this.d;
    const nA = this.nActive;
    const gR = grads.residuals;
    gR.fill(0);
    // gza becomes ∂L/∂y in place.
    for (let a = 0; a < nA; a++) {
      const ao = a * d;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += gza[ao + j] * za[ao + j];
      const inv = yNorm[a] > 0 ? 1 / yNorm[a] : 0;
      for (let j = 0; j < d; j++) gza[ao + j] = (gza[ao + j] - dot * za[ao + j]) * inv;
      const row = residualRow[active[a]];
      if (row >= 0) {
        const ro = row * d;
        for (let j = 0; j < d; j++) gR[ro + j] = gza[ao + j];
      }
    }
    transpose(xa, nA, d, xat);
    transpose(gza, nA, d, gyat);
    gemmNT(xat, gyat, grads.weights, d, d, nA);
  }
}

/** dst (cols × rows) = srcᵀ for a row-major rows × cols block. */
export function transpose(src: Float32Array, rows: number, cols: number, dst: Float32Array): void {
  for (let i = 0; i < rows; i++) {
    const io = i * cols;
    for (let j = 0; j < cols; j++) dst[j * rows + i] = src[io + j];
  }
}

/**
 * C (M × N, row-major) = A (M × K) · Btᵀ, Bt being N × K row-major — every row pair is a contiguous dot
 * product. Register-blocked 4 rows of A × 2 rows of Bt: 8 float64 accumulators, 6 loads per 8
 * multiply-adds (the naive form needs 2 loads per multiply-add).
 */
export function gemmNT(
  A: Float32Array,
  Bt: Float32Array,
  C: Float32Array,
  M: number,
  N: number,
  K: number,
): void {
  const M4 = M - (M % 4);
  const N2 = N - (N % 2);
  for (let m = 0; m < M4; m += 4) {
    const a0 = m * K;
    const a1 = a0 + K;
    const a2 = a1 + K;
    const a3 = a2 + K;
    const c0 = m * N;
    const c1 = c0 + N;
    const c2 = c1 + N;
    const c3 = c2 + N;
    for (let n = 0; n < N2; n += 2) {
      const b0 = n * K;
      const b1 = b0 + K;
      let s00 = 0;
      let s10 = 0;
      let s20 = 0;
      let s30 = 0;
      let s01 = 0;
      let s11 = 0;
      let s21 = 0;
      let s31 = 0;
      for (let k = 0; k < K; k++) {
        const x = Bt[b0 + k];
        const y = Bt[b1 + k];
        const p0 = A[a0 + k];
        const p1 = A[a1 + k];
        const p2 = A[a2 + k];
        const p3 = A[a3 + k];
        s00 += p0 * x;
        s10 += p1 * x;
        s20 += p2 * x;
        s30 += p3 * x;
        s01 += p0 * y;
        s11 += p1 * y;
        s21 += p2 * y;
        s31 += p3 * y;
      }
      C[c0 + n] = s00;
      C[c1 + n] = s10;
      C[c2 + n] = s20;
      C[c3 + n] = s30;
      C[c0 + n + 1] = s01;
      C[c1 + n + 1] = s11;
      C[c2 + n + 1] = s21;
      C[c3 + n + 1] = s31;
    }
    for (let n = N2; n < N; n++) {
      const b0 = n * K;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < K; k++) {
        const x = Bt[b0 + k];
        s0 += A[a0 + k] * x;
        s1 += A[a1 + k] * x;
        s2 += A[a2 + k] * x;
        s3 += A[a3 + k] * x;
      }
      C[c0 + n] = s0;
      C[c1 + n] = s1;
      C[c2 + n] = s2;
      C[c3 + n] = s3;
    }
  }
  for (let m = M4; m < M; m++) {
    const a0 = m * K;
    for (let n = 0; n < N; n++) {
      const b0 = n * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += A[a0 + k] * Bt[b0 + k];
      C[m * N + n] = s;
    }
  }
}
