import { Injectable } from '@nestjs/common';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
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
      const worker = startWorker(input);
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

/**
 * Compiled (`dist/`): the sibling `item-knn.worker.js`. From TypeScript sources (jest, ts-node) the worker
 * registers ts-node (transpile-only: types were checked already) and loads the .ts sibling.
 */
function startWorker(input: KnnWorkerInput): Worker {
  const compiled = path.join(__dirname, 'item-knn.worker.js');
  if (path.extname(__filename) === '.js' && existsSync(compiled)) {
    return new Worker(compiled, { workerData: input });
  }
  const source = path.join(__dirname, 'item-knn.worker.ts');
  const boot = `require(${JSON.stringify(require.resolve('ts-node/register/transpile-only'))}); require(${JSON.stringify(source)});`;
  return new Worker(boot, {
    eval: true,
    workerData: input,
    env: {
      ...process.env,
      TS_NODE_SKIP_PROJECT: 'true',
      TS_NODE_COMPILER_OPTIONS: JSON.stringify({
        module: 'commonjs',
        moduleResolution: 'node',
        target: 'es2022',
        esModuleInterop: true,
      }),
    },
  });
}
