import { startWorker } from '../../common/worker-thread';
import { ProjectionModel } from './projection-model';
import type { TrainWorkerInput, TrainWorkerMessage } from './train.worker';
import type { TrainProgress, TrainResult } from './trainer';

export interface BackgroundTraining {
  /** Settles with the trained model, or rejects with the worker's error (or "cancelled"). */
  readonly result: Promise<TrainResult>;
  /** Stops the worker; `result` rejects if it had not settled yet. */
  cancel(): Promise<void>;
}

/**
 * Runs `train` in a worker thread, so a second model trains on another core while this thread does
 * something else (the nightly job trains its held-out and its full-history model side by side). The worker
 * runs the same deterministic code on the same inputs: its model is byte-identical to an in-process one.
 */
export function trainInWorker(
  input: TrainWorkerInput,
  onProgress?: (progress: TrainProgress) => void,
): BackgroundTraining {
  const worker = startWorker(__dirname, 'train.worker', input, __filename);
  let settled = false;
  let cancelled = false;
  const result = new Promise<TrainResult>((resolve, reject) => {
    worker.on('message', (msg: TrainWorkerMessage) => {
      if (msg.type === 'progress') {
        onProgress?.(msg);
        return;
      }
      settled = true;
      void worker.terminate();
      if (msg.type === 'error') {
        reject(new Error(`training worker failed: ${msg.message}`));
        return;
      }
      resolve({
        model: ProjectionModel.fromBuffer(msg.model),
        initialValidationLoss: msg.initialValidationLoss,
        epochs: msg.epochs,
        seconds: msg.seconds,
      });
    });
    worker.once('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (settled) return;
      settled = true;
      reject(new Error(cancelled ? 'training worker cancelled' : `training worker exited with code ${code}`));
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
