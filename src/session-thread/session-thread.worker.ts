import { parentPort } from 'node:worker_threads';
import type { ItemMeta } from '../catalog/catalog-snapshot';
import { NeighbourLists } from '../ranking/neighbour-lists';
import { PurchaseSignals } from '../ranking/purchase-signals';
import { itemFilter } from '../recommendations/filters';
import { HnswVectorIndex } from '../vector-index/hnsw-vector-index.adapter';
import type { FromSessionThread, ToSessionThread } from './session-thread.protocol';
import { gatherCandidateSet } from './gather';
import { packGathered } from './packed-set';

/**
 * The session thread: a copy of what gathering a session list's candidates reads (the catalog's rule fields,
 * the served index and its vectors, the purchase signals), kept by the main thread's messages, and the
 * gathering itself. Messages are handled one at a time in arrival order; an index load holds the ones behind
 * it, and the main thread gathers in-process until the load is answered.
 */
const port = parentPort!;
const items = new Map<string, ItemMeta>();
let index: { name: string; hnsw: HnswVectorIndex; vectors: Map<string, Float32Array> } | undefined;
let lists = NeighbourLists.EMPTY;
let transitions = NeighbourLists.EMPTY;
let signals = PurchaseSignals.empty();

const send = (m: FromSessionThread) =>
  // A packed set's buffer is moved, not copied.
  port.postMessage(m, m.kind === 'gathered' ? [m.packed.buffer] : []);

async function handle(m: ToSessionThread): Promise<void> {
  switch (m.kind) {
    case 'items':
      if (m.reset) items.clear();
      for (const [id, meta] of m.entries) {
        if (meta) items.set(id, meta);
        else items.delete(id);
      }
      return;
    case 'signals':
      if (m.lists) lists = NeighbourLists.fromWire(m.lists);
      if (m.transitions) transitions = NeighbourLists.fromWire(m.transitions);
      signals = new PurchaseSignals(m.counts, lists, new Date(m.asOf), transitions);
      return;
    case 'index': {
      try {
        const hnsw = await HnswVectorIndex.load(m.dir);
        // Every vector up front, here rather than per request: the main thread serves in-process meanwhile.
        const vectors = new Map<string, Float32Array>();
        for (const id of hnsw.ids()) {
          const v = hnsw.vectorOf(id);
          if (v) vectors.set(id, v);
        }
        index?.hnsw.dispose();
        index = { name: m.name, hnsw, vectors };
        send({ kind: 'index-ready', name: m.name });
      } catch (e) {
        send({ kind: 'index-failed', name: m.name, message: (e as Error).message });
      }
      return;
    }
    case 'gather': {
      const r = m.request;
      try {
        if (!index || index.name !== r.indexName)
          throw new Error(`the thread serves index ${index?.name ?? '(none)'}, not ${r.indexName}`);
        const { hnsw, vectors } = index;
        const pass = itemFilter((id) => items.get(id), r.rules, new Set(r.excluded));
        const set = gatherCandidateSet(
          {
            signals,
            vectorOf: (id) => vectors.get(id),
            nearest: (v, k, accept, ef) =>
              hnsw.size === 0 ? [] : hnsw.search(v, { k: Math.min(k, hnsw.size), filter: accept, ef }),
            cosFlat: r.cosFlat,
          },
          r.session,
          r.query,
          pass,
        );
        send({ kind: 'gathered', id: m.id, packed: packGathered(set, r.session) });
      } catch (e) {
        send({ kind: 'gather-failed', id: m.id, message: (e as Error).message });
      }
      return;
    }
  }
}

let chain: Promise<void> = Promise.resolve();
port.on('message', (m: ToSessionThread) => {
  chain = chain.then(() => handle(m));
});
