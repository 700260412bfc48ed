import { InfoNceKernel, ProjectionParams } from './infonce';
import { fitPca, PcaBasis } from './pca';
import { ProjectionModel } from './projection-model';
import { mulberry32, shuffleInPlace } from './random';
import type { TrainingPairs } from './training-pairs';

/**
 * Fine-tunes a ProjectionModel on (context → target) pairs with in-batch softmax and Adam.
 *
 * Defaults are the prototype's validated choices (finetune-notes.md): PCA-128 input, W 128×128 identity
 * init, residuals for items with sales, τ = 0.1, batch 512, Adam lr 3e-3, 3 epochs (validation loss
 * flattens after 2–3). Single-threaded and deterministic for a seed: the shuffle is the only randomness
 * (W and R start at identity / zero), PCA uses its own seeded start.
 */
export interface TrainOptions {
  /** Model dimension; below the text dimension the input is PCA-reduced. Default 128. */
  dim?: number;
  tau?: number;
  batchSize?: number;
  epochs?: number;
  learningRate?: number;
  /** The learning rate falls linearly over the run to this fraction of `learningRate`; 1 (default) = constant. */
  learningRateEnd?: number;
  /** L2 penalty (λ/2)·‖R‖² on the residuals, keeps rare items close to their text placement. */
  residualL2?: number;
  /** Items with fewer training interactions get no residual (text-only placement). Default 1. */
  minInteractions?: number;
  seed?: number;
  /** Reuse a basis (e.g. to compare runs); default: fit one on the catalogue's text vectors. */
  pca?: PcaBasis;
  /** Checked between steps; aborting rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Wall-clock budget of the training loop in seconds (0 or absent: none). Once the first steps are timed, a
   * run that would overrun it is re-planned to as many steps as fit, its learning rate falling over the
   * shorter run; see `train`.
   */
  maxSeconds?: number;
  /** The clock the budget reads, in ms (Date.now by default; a test hands in its own). */
  clock?: () => number;
}

export interface TrainingData {
  /** Catalogue item ids; pair indices and vector rows refer to this order. */
  itemIds: readonly string[];
  /** Text vectors, row-major itemIds.length × inputDim. */
  textVectors: Float32Array;
  pairs: TrainingPairs;
}

export interface TrainProgress {
  epoch: number;
  step: number;
  totalSteps: number;
  loss: number;
}

export interface EpochStats {
  epoch: number;
  trainLoss: number;
  /** Null when there are no validation pairs. */
  validationLoss: number | null;
  seconds: number;
}

export interface TrainResult {
  model: ProjectionModel;
  /** Steps taken, and the steps `epochs` asked for: fewer when the time budget cut the run. */
  steps: { done: number; planned: number };
  /** Validation loss of the untrained (text-only) model, the baseline the epochs should beat. */
  initialValidationLoss: number | null;
  epochs: EpochStats[];
  seconds: number;
}

export const DEFAULT_TRAIN_OPTIONS = {
  dim: 128,
  tau: 0.1,
  batchSize: 512,
  epochs: 3,
  learningRate: 3e-3,
  learningRateEnd: 1,
  residualL2: 1e-3,
  minInteractions: 1,
  seed: 42,
  maxSeconds: 0,
} as const;

/**
 * The budget is planned once this share of the steps (and at least CALIBRATION_MIN_STEPS) has been timed, and
 * again at each epoch's end with every step so far: the first steps carry the JIT's warm-up, so they overstate
 * a step's cost a little, which errs on the side of finishing in time.
 */
const CALIBRATION_SHARE = 0.02;
const CALIBRATION_MIN_STEPS = 5;

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPS = 1e-8;

export async function train(
  data: TrainingData,
  options: TrainOptions = {},
  onProgress?: (progress: TrainProgress) => void | Promise<void>,
): Promise<TrainResult> {
  const started = Date.now();
  const opts = { ...DEFAULT_TRAIN_OPTIONS, ...stripUndefined(options) };
  const { itemIds, textVectors, pairs } = data;
  const n = itemIds.length;
  if (pairs.itemCount !== n) throw new Error(`pairs index ${pairs.itemCount} items, catalogue has ${n}`);
  if (n === 0 || textVectors.length % n !== 0)
    throw new Error('textVectors must be itemIds.length × inputDim');
  const inputDim = textVectors.length / n;
  const dim = Math.min(opts.dim, inputDim);

  let pca: PcaBasis | null = null;
  if (dim < inputDim) {
    pca = options.pca ?? fitPca(normaliseRows(textVectors, inputDim), inputDim, dim, { seed: opts.seed });
  }
  const residualItemIds = itemIds.filter((_, i) => pairs.itemInteractions[i] >= opts.minInteractions);
  const model = new ProjectionModel({
    inputDim,
    dim,
    pca,
    residualItemIds,
    tau: opts.tau,
    // No timestamp here: the caller owns the clock (and identical inputs should give identical blobs).
    info: {
      options: { ...opts, pca: undefined, signal: undefined, clock: undefined },
      trainPairs: pairs.train.target.length,
      validationPairs: pairs.validation.target.length,
      items: n,
    },
  });
  const residualRow = new Int32Array(n);
  itemIds.forEach((id, i) => (residualRow[i] = model.residualRow(id)));
  const params: ProjectionParams = {
    dim,
    reduced: model.reduceAll(textVectors),
    weights: model.weights,
    residuals: model.residuals,
    residualRow,
  };

  const kernel = new InfoNceKernel(n, dim, opts.batchSize, opts.tau);
  const grads = {
    weights: new Float32Array(model.weights.length),
    residuals: new Float32Array(model.residuals.length),
  };
  const adamW = new AdamState(model.weights.length);
  const adamR = new AdamState(model.residuals.length);

  // Validation order is shuffled once with a derived seed: in-batch negatives from a single customer's
  // consecutive baskets would make the validation loss depend on data order rather than on the model.
  const validationOrder = Int32Array.from({ length: pairs.validation.target.length }, (_, i) => i);
  shuffleInPlace(validationOrder, mulberry32(opts.seed ^ 0x5bd1e995));
  const validationLoss = (): number | null => {
    const total = validationOrder.length;
    if (total === 0) return null;
    let sum = 0;
    for (let start = 0; start < total; start += opts.batchSize) {
      const end = Math.min(total, start + opts.batchSize);
      sum +=
        (end - start) *
        kernel.run(
          params,
          pairs.contexts,
          pairs.validation.basket,
          pairs.validation.target,
          validationOrder,
          start,
          end,
        );
    }
    return sum / total;
  };

  const initialValidationLoss = validationLoss();
  const trainCount = pairs.train.target.length;
  const stepsPerEpoch = Math.ceil(trainCount / opts.batchSize);
  const plannedSteps = stepsPerEpoch * opts.epochs;
  // Re-planned (only ever shortened) when the time budget cannot cover every step; see `fitBudget`.
  let totalSteps = plannedSteps;
  const clock = options.clock ?? Date.now;
  const budgetMs = opts.maxSeconds > 0 ? opts.maxSeconds * 1000 : Infinity;
  const loopStart = clock();
  const calibration = Math.max(CALIBRATION_MIN_STEPS, Math.ceil(plannedSteps * CALIBRATION_SHARE));
  // As many steps as the rest of the budget holds at the pace so far; never fewer than the ones taken.
  const fitBudget = (taken: number) => {
    if (budgetMs === Infinity || taken === 0) return;
    const elapsed = clock() - loopStart;
    const affordable = taken + Math.floor((budgetMs - elapsed) / (elapsed / taken));
    totalSteps = Math.max(taken, Math.min(totalSteps, affordable));
  };
  const order = Int32Array.from({ length: trainCount }, (_, i) => i);
  const rand = mulberry32(opts.seed);
  const epochs: EpochStats[] = [];
  let step = 0;
  // A run with no pair still reports every epoch's validation loss (the text-only model's, unchanged).
  for (let epoch = 1; epoch <= opts.epochs && (step < totalSteps || plannedSteps === 0); epoch++) {
    const epochStart = Date.now();
    shuffleInPlace(order, rand);
    let lossSum = 0;
    let seen = 0;
    for (let start = 0; start < trainCount && step < totalSteps; start += opts.batchSize) {
      options.signal?.throwIfAborted();
      const end = Math.min(trainCount, start + opts.batchSize);
      const loss = kernel.run(
        params,
        pairs.contexts,
        pairs.train.basket,
        pairs.train.target,
        order,
        start,
        end,
        grads,
      );
      lossSum += loss * (end - start);
      seen += end - start;
      // L2 on residuals: gradient of (λ/2)‖R‖², added to every row every step (dense Adam).
      if (opts.residualL2 > 0) {
        const r = model.residuals;
        const g = grads.residuals;
        for (let i = 0; i < r.length; i++) g[i] += opts.residualL2 * r[i];
      }
      step++;
      const lr =
        opts.learningRate * (1 - (1 - opts.learningRateEnd) * ((step - 1) / Math.max(1, totalSteps - 1)));
      adamW.update(model.weights, grads.weights, lr, step);
      adamR.update(model.residuals, grads.residuals, lr, step);
      if (onProgress) await onProgress({ epoch, step, totalSteps, loss });
      if (step === calibration) fitBudget(step);
      // A pace that slowed after planning still stops at the budget, though above the learning rate's end.
      if (clock() - loopStart >= budgetMs) totalSteps = step;
      // Let the event loop breathe (progress writes, health checks) between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    epochs.push({
      epoch,
      trainLoss: seen > 0 ? lossSum / seen : 0,
      validationLoss: validationLoss(),
      seconds: (Date.now() - epochStart) / 1000,
    });
    fitBudget(step);
  }
  return {
    model,
    steps: { done: step, planned: plannedSteps },
    initialValidationLoss,
    epochs,
    seconds: (Date.now() - started) / 1000,
  };
}

/** Adam with bias correction; state in float32 to keep memory at 3× the parameters. */
class AdamState {
  private readonly m: Float32Array;
  private readonly v: Float32Array;

  constructor(size: number) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  update(param: Float32Array, grad: Float32Array, lr: number, t: number): void {
    const { m, v } = this;
    const c1 = 1 - Math.pow(ADAM_BETA1, t);
    const c2 = 1 - Math.pow(ADAM_BETA2, t);
    const stepSize = lr / c1;
    const invC2 = 1 / c2;
    for (let i = 0; i < param.length; i++) {
      const g = grad[i];
      const mi = ADAM_BETA1 * m[i] + (1 - ADAM_BETA1) * g;
      const vi = ADAM_BETA2 * v[i] + (1 - ADAM_BETA2) * g * g;
      m[i] = mi;
      v[i] = vi;
      param[i] -= (stepSize * mi) / (Math.sqrt(vi * invC2) + ADAM_EPS);
    }
  }
}

function normaliseRows(vectors: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(vectors.length);
  for (let o = 0; o < vectors.length; o += dim) {
    let nn = 0;
    for (let a = 0; a < dim; a++) nn += vectors[o + a] * vectors[o + a];
    const inv = nn > 0 ? 1 / Math.sqrt(nn) : 0;
    for (let a = 0; a < dim; a++) out[o + a] = vectors[o + a] * inv;
  }
  return out;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
