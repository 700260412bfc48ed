import { Injectable } from '@nestjs/common';
import { startWorker } from '../common/worker-thread';
import type { KnnWorkerInput, KnnWorkerOutput } from './item-knn.worker';

export type BuiltKnn = Extract<KnnWorkerOutput, { ok: true }>;

/**
 * Runs the co-purchase kNN build (read purchases, cosine, top-k) in a worker thread: a full history costs
 * seconds of pure JS, which on the main thread would stall every request for as long.
 */
@Injectable()
export class ItemKnnBuilder {
  build(input: KnnWorkerInput): Promise<BuiltKnn> {
    return new Promise((resolve, reject) => {
      const worker = startWorker(__dirname, 'item-knn.worker', input, __filename);
      let settled = false;
      worker.once('message', (out: KnnWorkerOutput) => {
        settled = true;
        if (out.ok) resolve(out);
        else reject(new Error(`co-purchase build failed: ${out.error}`));
        void worker.terminate();
      });
      worker.once('error', (e) => {
        settled = true;
        reject(e);
      });
      worker.once('exit', (code) => {
        if (!settled) reject(new Error(`co-purchase build worker exited with code ${code}`));
      });
    });
  }
}
