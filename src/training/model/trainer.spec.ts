import { mulberry32 } from './random';
import { trainInWorker } from '../training-workers';
import { train, TrainingData, TrainProgress } from './trainer';
import { buildTrainingPairs, Interaction } from './training-pairs';

const DAY = 86_400_000;

/**
 * Planted structure: 5 groups of 8 items, each user buys mostly from one group. Text vectors carry only a
 * faint group signal under noise, so the untrained (text-only) model is weak and training must find the
 * groups. One catalogue item ('new') never sells.
 */
function syntheticData(): TrainingData {
  const rand = mulberry32(11);
  const groups = 5;
  const perGroup = 8;
  const inputDim = 12;
  const itemIds = [
    ...Array.from({ length: groups * perGroup }, (_, i) => `item-${String(i).padStart(2, '0')}`),
    'new',
  ];
  const centroids = Array.from({ length: groups }, () =>
    Array.from({ length: inputDim }, () => rand() * 2 - 1),
  );
  const textVectors = new Float32Array(itemIds.length * inputDim);
  itemIds.forEach((_, i) => {
    const g = Math.floor(i / perGroup) % groups;
    for (let a = 0; a < inputDim; a++)
      textVectors[i * inputDim + a] = 0.3 * centroids[g][a] + (rand() * 2 - 1);
  });
  const log: Interaction[] = [];
  const start = Date.UTC(2024, 0, 1);
  for (let u = 0; u < 60; u++) {
    const group = u % groups;
    for (let basket = 0; basket < 8; basket++) {
      const timestamp = new Date(start + (basket * 3 + (u % 3)) * DAY);
      for (let k = 0; k < 3; k++) {
        const g = rand() < 0.85 ? group : Math.floor(rand() * groups);
        const item = g * perGroup + Math.floor(rand() * perGroup);
        log.push({ userId: `u${u}`, itemId: itemIds[item], timestamp, basketId: `u${u}-b${basket}` });
      }
    }
  }
  const pairs = buildTrainingPairs(log, itemIds, { now: new Date(start + 24 * DAY), validationDays: 6 });
  return { itemIds, textVectors, pairs };
}

const options = { dim: 6, batchSize: 32, epochs: 4, learningRate: 0.01, seed: 5 };

describe('train', () => {
  const data = syntheticData();

  it('lowers the validation loss on data with planted structure', async () => {
    const progress: TrainProgress[] = [];
    const result = await train(data, options, (p) => {
      progress.push(p);
    });
    expect(data.pairs.validation.target.length).toBeGreaterThan(50);
    const initial = result.initialValidationLoss ?? NaN;
    const final = result.epochs[result.epochs.length - 1].validationLoss ?? NaN;
    expect(final).toBeLessThan(initial - 0.1);
    expect(result.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    const stepsPerEpoch = Math.ceil(data.pairs.train.target.length / options.batchSize);
    expect(progress.length).toBe(stepsPerEpoch * options.epochs);
    expect(progress[progress.length - 1]).toMatchObject({
      epoch: 4,
      step: stepsPerEpoch * 4,
      totalSteps: stepsPerEpoch * 4,
    });
    expect(Number.isFinite(progress[0].loss)).toBe(true);
  });

  it('is deterministic for a seed and depends on it', async () => {
    const a = await train(data, options);
    const b = await train(data, options);
    const c = await train(data, { ...options, seed: 6 });
    expect(Array.from(a.model.weights)).toEqual(Array.from(b.model.weights));
    expect(Array.from(a.model.residuals)).toEqual(Array.from(b.model.residuals));
    expect(Array.from(a.model.weights)).not.toEqual(Array.from(c.model.weights));
  });

  it('decays the learning rate only when asked, and still learns with it', async () => {
    const constant = await train(data, options);
    const explicit = await train(data, { ...options, learningRateEnd: 1 });
    const decayed = await train(data, { ...options, learningRateEnd: 0.1 });
    expect(Array.from(explicit.model.weights)).toEqual(Array.from(constant.model.weights));
    expect(Array.from(decayed.model.weights)).not.toEqual(Array.from(constant.model.weights));
    // Smaller steps move the weights less far from their identity start than constant ones.
    const drift = (w: Float32Array) =>
      w.reduce((sum, x, i) => sum + (x - (i % (options.dim + 1) === 0 ? 1 : 0)) ** 2, 0);
    expect(drift(decayed.model.weights)).toBeLessThan(drift(constant.model.weights));
    const last = decayed.epochs[decayed.epochs.length - 1].validationLoss ?? NaN;
    expect(last).toBeLessThan((decayed.initialValidationLoss ?? NaN) - 0.1);
  });

  describe('with a time budget (maxSeconds)', () => {
    const stepsPerEpoch = Math.ceil(data.pairs.train.target.length / options.batchSize);
    const planned = stepsPerEpoch * options.epochs;
    /** A clock that the progress callback moves on by `msPerStep(step)` after each step. */
    const steppedClock = (msPerStep: (step: number) => number) => {
      let now = 0;
      const progress: TrainProgress[] = [];
      return {
        clock: () => now,
        onProgress: (p: TrainProgress) => {
          progress.push(p);
          now += msPerStep(p.step);
        },
        progress,
        elapsed: () => now,
      };
    };

    it('takes every step when they fit, and reports them', async () => {
      const t = steppedClock(() => 1000);
      const result = await train(data, { ...options, maxSeconds: planned + 1, clock: t.clock }, t.onProgress);
      expect(result.steps).toEqual({ done: planned, planned });
      expect(Array.from(result.model.weights)).toEqual(
        Array.from((await train(data, options)).model.weights),
      );
    });

    it('re-plans a run that would overrun to the steps that fit, and still learns', async () => {
      expect(planned).toBeGreaterThan(100);
      const t = steppedClock(() => 1000);
      const result = await train(data, { ...options, maxSeconds: 40, clock: t.clock }, t.onProgress);
      expect(result.steps).toEqual({ done: 40, planned });
      expect(t.elapsed()).toBe(40_000);
      // Planned after the first five steps: from then on every report names the shorter run.
      expect(t.progress.slice(0, 5).every((p) => p.totalSteps === planned)).toBe(true);
      expect(t.progress.slice(5).every((p) => p.totalSteps === 40)).toBe(true);
      expect(t.progress[t.progress.length - 1]).toMatchObject({ step: 40, totalSteps: 40 });
      // The cut epoch reports its loss over the pairs it saw.
      expect(result.epochs.map((e) => e.epoch)).toEqual([1, 2]);
      const last = result.epochs[1];
      expect(Number.isFinite(last.trainLoss) && last.trainLoss > 0).toBe(true);
      expect(last.validationLoss ?? NaN).toBeLessThan((result.initialValidationLoss ?? NaN) - 0.05);
    });

    it('falls the learning rate over the shorter run, not over the planned one', async () => {
      const opts = { ...options, learningRateEnd: 0.1, maxSeconds: 40 };
      const replanned = steppedClock(() => 1000);
      const cut = await train(data, { ...opts, clock: replanned.clock }, replanned.onProgress);
      // The same 40 steps on the planned schedule: a clock that stands still until the budget is gone at once.
      const sudden = steppedClock((step) => (step === 40 ? 1e9 : 0));
      const prefix = await train(data, { ...opts, clock: sudden.clock }, sudden.onProgress);
      expect(cut.steps.done).toBe(40);
      expect(prefix.steps.done).toBe(40);
      const drift = (w: Float32Array) =>
        w.reduce((sum, x, i) => sum + (x - (i % (options.dim + 1) === 0 ? 1 : 0)) ** 2, 0);
      expect(drift(cut.model.weights)).toBeLessThan(drift(prefix.model.weights));
    });

    it('stops at the budget when the pace slows after planning', async () => {
      const t = steppedClock((step) => (step <= 5 ? 1000 : 3000));
      const result = await train(data, { ...options, maxSeconds: 40, clock: t.clock }, t.onProgress);
      // 5 s for the first five steps, then 3 s each: the 17th step ends at 41 s, the first past 40.
      expect(result.steps).toEqual({ done: 17, planned });
      expect(result.epochs).toHaveLength(1);
    });
  });

  it('gives a never-sold item no residual, so its projection is text-only', async () => {
    const { model } = await train(data, options);
    const newIndex = data.itemIds.indexOf('new');
    const x = data.textVectors.subarray(newIndex * 12, (newIndex + 1) * 12);
    expect(model.residualRow('new')).toBe(-1);
    expect(model.residualItemIds).toHaveLength(40);
    expect(Array.from(model.projectItem(x, 'new'))).toEqual(Array.from(model.projectItem(x)));
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled by test'));
    await expect(train(data, { ...options, signal: controller.signal })).rejects.toThrow('cancelled by test');
  });

  it('trains the same model bytes in a worker thread, reporting progress from there', async () => {
    const local = await train(data, options);
    const steps: number[] = [];
    const remote = await trainInWorker(data, options, (p) => steps.push(p.step)).result;
    expect(Buffer.compare(remote.model.toBuffer(), local.model.toBuffer())).toBe(0);
    expect(remote.epochs.map((e) => e.validationLoss)).toEqual(local.epochs.map((e) => e.validationLoss));
    const stepsPerEpoch = Math.ceil(data.pairs.train.target.length / options.batchSize);
    expect(steps).toEqual(Array.from({ length: stepsPerEpoch * options.epochs }, (_, i) => i + 1));
  }, 60_000);

  it('a cancelled worker rejects its result instead of leaving it pending', async () => {
    const run = trainInWorker(data, { ...options, epochs: 200 });
    await run.cancel();
    await expect(run.result).rejects.toThrow('cancelled');
  }, 60_000);

  it('a worker that fails rejects with its error', async () => {
    const bad = { ...data, itemIds: data.itemIds.slice(1) };
    await expect(trainInWorker(bad, options).result).rejects.toThrow(/pairs index 41 items/);
  }, 60_000);
});
