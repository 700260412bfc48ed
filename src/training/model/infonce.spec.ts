import { gemmNT, InfoNceKernel, ProjectionParams } from './infonce';
import { mulberry32 } from './random';
import type { ContextCsr } from './training-pairs';

/**
 * Tiny problem with every awkward case: dim 5 and batch 6 (not multiples of the 4×2 blocking), a row
 * whose basket appears twice (shared context), a duplicated target, a target inside another row's
 * context, and one item without a residual.
 */
function tinyProblem(): {
  params: ProjectionParams;
  contexts: ContextCsr;
  basket: Int32Array;
  target: Int32Array;
  order: Int32Array;
} {
  const rand = mulberry32(7);
  const itemCount = 7;
  const dim = 5;
  const sym = (): number => rand() * 2 - 1;
  const reduced = Float32Array.from({ length: itemCount * dim }, sym);
  const weights = Float32Array.from(
    { length: dim * dim },
    (_, i) => (i % (dim + 1) === 0 ? 1 : 0) + 0.3 * sym(),
  );
  const residualRow = Int32Array.from([0, 1, 2, -1, 3, 4, 5]);
  const residuals = Float32Array.from({ length: 6 * dim }, () => 0.2 * sym());
  const contexts: ContextCsr = {
    offsets: Int32Array.from([0, 2, 5, 6, 8]),
    items: Int32Array.from([0, 1, 2, 3, 4, 5, 6, 0]),
    weights: Float32Array.from([1, 0.5, 0.7, 1.2, 0.3, 1, 0.9, 0.4]),
  };
  // rows: (basket, target)
  const basket = Int32Array.from([0, 0, 1, 2, 3, 1]);
  const target = Int32Array.from([3, 4, 0, 3, 5, 6]);
  const order = Int32Array.from([0, 1, 2, 3, 4, 5]);
  return { params: { dim, reduced, weights, residuals, residualRow }, contexts, basket, target, order };
}

/** Straightforward re-implementation of the loss (no blocking, no shared buffers) to pin down masking. */
function referenceLoss(p: ReturnType<typeof tinyProblem>, tau: number): number {
  const { params, contexts, basket, target } = p;
  const d = params.dim;
  const z = (i: number): number[] => {
    const y = Array.from({ length: d }, (_, j) => {
      let v = params.residualRow[i] >= 0 ? params.residuals[params.residualRow[i] * d + j] : 0;
      for (let k = 0; k < d; k++) v += params.reduced[i * d + k] * params.weights[k * d + j];
      return v;
    });
    const n = Math.hypot(...y);
    return y.map((v) => v / n);
  };
  const B = basket.length;
  let total = 0;
  for (let r = 0; r < B; r++) {
    const b = basket[r];
    const ctx: number[] = [];
    const s = new Array<number>(d).fill(0);
    for (let k = contexts.offsets[b]; k < contexts.offsets[b + 1]; k++) {
      ctx.push(contexts.items[k]);
      const zi = z(contexts.items[k]);
      for (let j = 0; j < d; j++) s[j] += contexts.weights[k] * zi[j];
    }
    const sn = Math.hypot(...s);
    const u = s.map((v) => v / sn);
    const logits: number[] = [];
    for (let c = 0; c < B; c++) {
      const ok = c === r || (target[c] !== target[r] && !ctx.includes(target[c]) && basket[c] !== b);
      if (!ok) continue;
      const v = z(target[c]);
      const l = u.reduce((acc, x, j) => acc + x * v[j], 0) / tau;
      logits.push(l);
      if (c === r) total -= l;
    }
    total += Math.log(logits.reduce((acc, l) => acc + Math.exp(l), 0));
  }
  return total / B;
}

describe('InfoNceKernel', () => {
  const tau = 0.1;

  it('computes the masked in-batch softmax loss', () => {
    const p = tinyProblem();
    const kernel = new InfoNceKernel(7, p.params.dim, 8, tau);
    const loss = kernel.run(p.params, p.contexts, p.basket, p.target, p.order, 0, 6);
    expect(loss).toBeCloseTo(referenceLoss(p, tau), 4);
  });

  it('matches central finite differences for every W entry and every residual', () => {
    const p = tinyProblem();
    const kernel = new InfoNceKernel(7, p.params.dim, 8, tau);
    const grads = {
      weights: new Float32Array(p.params.weights.length),
      residuals: new Float32Array(p.params.residuals.length),
    };
    kernel.run(p.params, p.contexts, p.basket, p.target, p.order, 0, 6, grads);
    const lossAt = (): number => kernel.run(p.params, p.contexts, p.basket, p.target, p.order, 0, 6);
    // float32 parameters: a step of 1e-2 keeps rounding noise (~1e-7/eps) well below the O(eps²) error.
    const eps = 1e-2;
    const check = (array: Float32Array, analytic: Float32Array): void => {
      for (let i = 0; i < array.length; i++) {
        const saved = array[i];
        array[i] = saved + eps;
        const plus = lossAt();
        array[i] = saved - eps;
        const minus = lossAt();
        array[i] = saved;
        const numeric = (plus - minus) / (2 * eps);
        expect(analytic[i]).toBeCloseTo(numeric, 3);
      }
    };
    check(p.params.weights, grads.weights);
    check(p.params.residuals, grads.residuals);
    // The gradient is not trivially zero.
    expect(Math.max(...Array.from(grads.weights, Math.abs))).toBeGreaterThan(1e-2);
  });
});

describe('gemmNT', () => {
  it('equals the naive product for shapes off the blocking grid', () => {
    const rand = mulberry32(3);
    const [M, N, K] = [7, 5, 9];
    const A = Float32Array.from({ length: M * K }, () => rand() - 0.5);
    const Bt = Float32Array.from({ length: N * K }, () => rand() - 0.5);
    const C = new Float32Array(M * N);
    gemmNT(A, Bt, C, M, N, K);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += A[m * K + k] * Bt[n * K + k];
        expect(C[m * N + n]).toBeCloseTo(s, 5);
      }
    }
  });
});
