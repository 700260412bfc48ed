import { parentPort, workerData } from 'node:worker_threads';
import { train, type EpochStats, type TrainingData, type TrainOptions } from './trainer';

export interface TrainWorkerInput {
  data: TrainingData;
  options: Omit<TrainOptions, 'pca' | 'signal'>;
}

export type TrainWorkerMessage =
  | { type: 'progress'; epoch: number; step: number; totalSteps: number; loss: number }
  | {
      type: 'done';
      model: Uint8Array;
      initialValidationLoss: number | null;
      epochs: EpochStats[];
      seconds: number;
    }
  | { type: 'error'; message: string };

/** Runs `train` on this thread: the same code and inputs as in the parent, so the same model bytes. */
if (parentPort) {
  const port = parentPort;
  const input = workerData as TrainWorkerInput;
  train(input.data, input.options, (p) => {
    port.postMessage({ type: 'progress', ...p } satisfies TrainWorkerMessage);
  }).then(
    (result) => {
      const model = new Uint8Array(result.model.toBuffer());
      const out: TrainWorkerMessage = {
        type: 'done',
        model,
        initialValidationLoss: result.initialValidationLoss,
        epochs: result.epochs,
        seconds: result.seconds,
      };
      port.postMessage(out, [model.buffer]);
    },
    (e: unknown) =>
      port.postMessage({ type: 'error', message: (e as Error).message } satisfies TrainWorkerMessage),
  );
}
