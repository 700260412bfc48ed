import { parentPort, workerData } from 'node:worker_threads';
import type { BuyerWeighting } from '../ranking/item-knn';
import { gateSignals, tuneForModel, type GateInput, type GateResult, type GateSignals } from './blend-gate';
import {
  train,
  type EpochStats,
  type TrainingData,
  type TrainOptions,
  type TrainResult,
} from './model/trainer';
import type { Interaction } from './model/training-pairs';

/** The CPU-heavy parts of the nightly job, each run in its own thread (see training-workers.ts). */
export type TrainingTask =
  | { task: 'train'; data: TrainingData; options: Omit<TrainOptions, 'pca' | 'signal' | 'clock'> }
  | { task: 'tune'; input: GateInput }
  | { task: 'signals'; history: Interaction[]; at: number; buyers: BuyerWeighting };

export type TrainingWorkerMessage =
  | { type: 'progress'; epoch: number; step: number; totalSteps: number; loss: number }
  | {
      type: 'trained';
      model: Uint8Array;
      initialValidationLoss: number | null;
      epochs: EpochStats[];
      seconds: number;
      steps: TrainResult['steps'];
    }
  | { type: 'tuned'; result: GateResult }
  | { type: 'signals'; result: GateSignals }
  | { type: 'error'; message: string };

async function run(task: TrainingTask, post: (msg: TrainingWorkerMessage) => void): Promise<void> {
  if (task.task === 'tune') {
    post({ type: 'tuned', result: tuneForModel(task.input) });
    return;
  }
  if (task.task === 'signals') {
    post({ type: 'signals', result: gateSignals(task.history, new Date(task.at), task.buyers) });
    return;
  }
  const result = await train(task.data, task.options, (p) => post({ type: 'progress', ...p }));
  post({
    type: 'trained',
    model: new Uint8Array(result.model.toBuffer()),
    initialValidationLoss: result.initialValidationLoss,
    epochs: result.epochs,
    seconds: result.seconds,
    steps: result.steps,
  });
}

if (parentPort) {
  const port = parentPort;
  run(workerData as TrainingTask, (msg) => port.postMessage(msg)).catch((e: unknown) =>
    port.postMessage({ type: 'error', message: (e as Error).message } satisfies TrainingWorkerMessage),
  );
}
