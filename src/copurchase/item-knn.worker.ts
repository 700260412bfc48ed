import { parentPort, workerData } from 'node:worker_threads';
import { Client } from 'pg';
import { buildItemKnn, leftOut, type BuyerWeighting } from '../ranking/item-knn';
import { buildPurchaseMatrix } from '../ranking/purchase-matrix';
import {
  basketsByUser,
  buildTransitions,
  DEFAULT_TRANSITION_NEIGHBORS,
  type TimedPurchase,
} from '../ranking/transitions';
import { readPurchasePairs, readTimedPurchases } from './purchase-pairs.query';
import type { NeighbourCsr } from './copurchase.repository';
import type { EventType } from '../events/event.entity';
import { resolveLearningTypes, type LearnFrom } from '../events/learning-events';

export interface KnnWorkerInput {
  databaseUrl: string;
  asOf: string;
  neighbourCount: number;
  /** COPURCHASE_BUYER_DAMPING and COPURCHASE_MAX_BUYER_ITEMS (buildItemKnn). */
  buyers: BuyerWeighting;
  learnFrom: LearnFrom;
  /** LEARN_FROM_MIN_SHARE. */
  learnFromMinShare: number;
}

export type KnnWorkerOutput =
  | {
      ok: true;
      itemIds: string[];
      offsets: Int32Array;
      neighbors: Int32Array;
      similarities: Float64Array;
      /** First-order transitions between consecutive baskets, in the same CSR shape. */
      transitions: NeighbourCsr & { neighbors: Int32Array; similarities: Float64Array };
      users: number;
      /** Buyers of more than COPURCHASE_MAX_BUYER_ITEMS items, left out of the neighbours. */
      buyersLeftOut: number;
      /** Accounts over MAX_TRANSITION_PAIRS_PER_SEQUENCE pairs between consecutive orders, left out of transitions. */
      transitionSequencesLeftOut: number;
      pairs: number;
      /** The event types read as purchases (LEARN_FROM resolved). */
      learnedFrom: EventType[];
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
  let timed: TimedPurchase[];
  let learnedFrom: EventType[];
  try {
    learnedFrom = await resolveLearningTypes(
      async (sql, params) => (await client.query<{ type: string }>(sql, params)).rows,
      input.learnFrom,
      input.learnFromMinShare,
    );
    pairs = await readPurchasePairs(client, new Date(input.asOf), learnedFrom);
    timed = await readTimedPurchases(client, new Date(input.asOf), learnedFrom);
  } finally {
    await client.end();
  }
  const read = Date.now();
  const stats = buildPurchaseMatrix(pairs);
  const knn = buildItemKnn(stats, input.neighbourCount, input.buyers);
  let buyersLeftOut = 0;
  for (const items of stats.userItems.values()) if (leftOut(input.buyers, items.length)) buyersLeftOut += 1;
  const transitionStats = { sequencesLeftOut: 0 };
  const next = buildTransitions(basketsByUser(timed).values(), DEFAULT_TRANSITION_NEIGHBORS, transitionStats);
  return {
    ok: true,
    itemIds: [...knn.itemIds],
    offsets: knn.offsets,
    neighbors: knn.neighbors,
    similarities: knn.similarities,
    transitions: {
      itemIds: [...next.itemIds],
      offsets: next.offsets,
      neighbors: next.neighbors,
      similarities: next.similarities,
    },
    users: stats.userItems.size,
    buyersLeftOut,
    transitionSequencesLeftOut: transitionStats.sequencesLeftOut,
    pairs: pairs.length,
    learnedFrom,
    readMs: read - started,
    buildMs: Date.now() - read,
  };
}

if (parentPort) {
  const port = parentPort;
  main(workerData as KnnWorkerInput).then(
    (out) => {
      const t = out.ok ? out.transitions : undefined;
      const transfer =
        out.ok && t
          ? [
              out.offsets.buffer,
              out.neighbors.buffer,
              out.similarities.buffer,
              t.offsets.buffer,
              t.neighbors.buffer,
              t.similarities.buffer,
            ]
          : [];
      port.postMessage(out, transfer as ArrayBuffer[]);
    },
    (e: unknown) => port.postMessage({ ok: false, error: (e as Error).message } satisfies KnnWorkerOutput),
  );
}
