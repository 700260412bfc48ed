import { parentPort, workerData } from 'node:worker_threads';
import { Client } from 'pg';
import { buildItemKnn } from '../ranking/item-knn';
import { buildPurchaseMatrix } from '../ranking/purchase-matrix';
import { readPurchasePairs } from './purchase-pairs.query';

export interface KnnWorkerInput {
  databaseUrl: string;
  asOf: string;
  neighbourCount: number;
}

export type KnnWorkerOutput =
  | {
      ok: true;
      itemIds: string[];
      offsets: Int32Array;
      neighbors: Int32Array;
      similarities: Float64Array;
      users: number;
      pairs: number;
      readMs: number;
      buildMs: number;
    }
  | { ok: false; error: string };

/**
 * Reads the purchase pairs over its own connection and builds the kNN here, so neither the hundreds of
 * thousands of result rows nor the O(Σ basket²) loop touch the server's event loop.
 */
async function main(input: KnnWorkerInput): Promise<KnnWorkerOutput> {
  const started = Date.now();
  const client = new Client({ connectionString: input.databaseUrl });
  await client.connect();
  let pairs: Array<{ userId: string; itemId: string }>;
  try {
    pairs = await readPurchasePairs(client, new Date(input.asOf));
  } finally {
    await client.end();
  }
  const read = Date.now();
  const stats = buildPurchaseMatrix(pairs);
  const knn = buildItemKnn(stats, input.neighbourCount);
  return {
    ok: true,
    itemIds: [...knn.itemIds],
    offsets: knn.offsets,
    neighbors: knn.neighbors,
    similarities: knn.similarities,
    users: stats.userItems.size,
    pairs: pairs.length,
    readMs: read - started,
    buildMs: Date.now() - read,
  };
}

if (parentPort) {
  const port = parentPort;
  main(workerData as KnnWorkerInput).then(
    (out) => {
      const transfer = out.ok ? [out.offsets.buffer, out.neighbors.buffer, out.similarities.buffer] : [];
      port.postMessage(out, transfer as ArrayBuffer[]);
    },
    (e: unknown) => port.postMessage({ ok: false, error: (e as Error).message } satisfies KnnWorkerOutput),
  );
}
