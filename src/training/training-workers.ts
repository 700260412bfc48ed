import { startWorker } from '../common/worker-thread';
import type { GateInput, GateResult, GateSignals } from './blend-gate';
import type { BuyerWeighting } from '../ranking/item-knn';
import type { Interaction } from './model/training-pairs';
import { ProjectionModel } from './model/projection-model';
import type { TrainingData, TrainOptions, TrainProgress, TrainResult } from './model/trainer';
import type { TrainingTask, TrainingWorkerMessage } from './training.worker';

export interface BackgroundRun<T> {
  /** Settles with the worker's result, or rejects with its error (or "cancelled"). */
  readonly result: Promise<T>;
  /** Stops the worker; `result` rejects if it had not settled yet. */
  cancel(): Promise<void>;
}

/**
 * Runs `train` in a worker thread. The nightly job trains its held-out and its full-history model side by
 * side on two cores, and a server that runs the job keeps its event loop free for requests. The worker runs
 * the same deterministic code on the same inputs: its model is byte-identical to an in-process one.
 */
export function trainInWorker(
  data: TrainingData,
  options: Omit<TrainOptions, 'pca' | 'signal' | 'clock'>,
  onProgress?: (progress: TrainProgress) => void,
): BackgroundRun<TrainResult> {
  return runTask({ task: 'train', data, options }, (msg) => {
    if (msg.type === 'progress') {
      onProgress?.(msg);
      return undefined;
    }
    if (msg.type !== 'trained') return undefined;
    return {
      model: ProjectionModel.fromBuffer(msg.model),
      initialValidationLoss: msg.initialValidationLoss,
      epochs: msg.epochs,
      seconds: msg.seconds,
      steps: msg.steps,
    };
  });
}

/** Runs the gate's blend tuning for one model in a worker thread (tens of seconds of CPU on a real shop). */
export function tuneInWorker(input: GateInput): BackgroundRun<GateResult> {
  return runTask({ task: 'tune', input }, (msg) => (msg.type === 'tuned' ? msg.result : undefined));
}

/** Builds the gate's purchase signals (gateSignals) in a worker thread: a co-purchase build of the whole history. */
export function gateSignalsInWorker(
  history: Interaction[],
  at: Date,
  buyers: BuyerWeighting,
): BackgroundRun<GateSignals> {
  return runTask({ task: 'signals', history, at: at.getTime(), buyers }, (msg) =>
    msg.type === 'signals' ? msg.result : undefined,
  );
}

function runTask<T>(
  task: TrainingTask,
  // Returns the result when `msg` is the final one, undefined for progress.
  read: (msg: TrainingWorkerMessage) => T | undefined,
): BackgroundRun<T> {
  const worker = startWorker(__dirname, 'training.worker', task, __filename);
  let settled = false;
  let cancelled = false;
  const result = new Promise<T>((resolve, reject) => {
    worker.on('message', (msg: TrainingWorkerMessage) => {
      if (msg.type === 'error') {
        settled = true;
        void worker.terminate();
        reject(new Error(`${task.task} worker failed: ${msg.message}`));
        return;
      }
      const out = read(msg);
      if (out === undefined) return;
      settled = true;
      void worker.terminate();
      resolve(out);
    });
    worker.once('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (settled) return;
      settled = true;
      reject(
        new Error(
          cancelled ? `${task.task} worker cancelled` : `${task.task} worker exited with code ${code}`,
        ),
      );
    });
  });
  return {
    result,
    cancel: async () => {
      // Nobody may be awaiting `result` when a caller gives up on it; the rejection is expected then.
      result.catch(() => undefined);
      if (settled) return;
      cancelled = true;
      await worker.terminate();
    },
  };
}
