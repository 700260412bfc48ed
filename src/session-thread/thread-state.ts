import type { ItemMeta } from '../catalog/catalog-snapshot';
import { Dot2Batch } from '../common/simd/dot2-kernel';
import { NeighbourLists } from '../ranking/neighbour-lists';
import { sessionQuery, SessionSetScratch } from '../ranking/session-ranking';
import { PurchaseSignals } from '../ranking/purchase-signals';
import { itemFilter } from '../recommendations/filters';
import { HnswVectorIndex } from '../vector-index/hnsw-vector-index.adapter';
import { gatherCandidateSet } from './gather';
import { RowTables } from './row-tables';
import type { GatheredSet, GatherRequest, ToSessionThread } from './session-thread.protocol';

type SignalsMessage = Extract<ToSessionThread, { kind: 'signals' }>;

/**
 * The candidates a session list's cosines are computed for at once, at most (SESSION_LIMITS brings up to 190);
 * a larger set is computed without the kernel.
 */
const KERNEL_SLOTS = 1024;

/**
 * What the session thread holds — the catalog's rule fields, the served index and its vectors, the purchase
 * signals, and the same fields and vectors by signals row (RowTables) — and the gathering from it. The worker
 * only passes messages to it, so a bench can run the thread's gathering in-process.
 */
export class SessionThreadState {
  private readonly items = new Map<string, ItemMeta>();
  private index?: {
    name: string;
    hnsw: HnswVectorIndex;
    vectors: Map<string, Float32Array>;
    /** The cosines' kernel whose memory holds `vectors` (undefined: they are arrays of their own). */
    cosines: Dot2Batch | undefined;
  };
  private lists = NeighbourLists.EMPTY;
  private transitions = NeighbourLists.EMPTY;
  private signals = PurchaseSignals.empty();
  private readonly tables = new RowTables();
  private readonly scratch = new SessionSetScratch();

  applyItems(reset: boolean, entries: ReadonlyArray<readonly [string, ItemMeta | null]>): void {
    if (reset) this.items.clear();
    for (const [id, meta] of entries) {
      if (meta) this.items.set(id, meta);
      else this.items.delete(id);
      if (!reset) this.tables.setMeta(id, meta ?? undefined);
    }
    if (reset) this.tables.resetMeta((id) => this.items.get(id));
  }

  applySignals(m: Omit<SignalsMessage, 'kind' | 'seq'>): void {
    if (m.lists) this.lists = NeighbourLists.fromWire(m.lists);
    if (m.transitions) this.transitions = NeighbourLists.fromWire(m.transitions);
    this.useSignals(new PurchaseSignals(m.counts, this.lists, new Date(m.asOf), this.transitions));
  }

  /** Serves these signals (the thread builds them from messages; a bench hands over its own). */
  useSignals(signals: PurchaseSignals): void {
    this.signals = signals;
    this.tables.setSignals(
      signals,
      (id) => this.items.get(id),
      (id) => this.index?.vectors.get(id),
    );
  }

  /** Loads the published index in `dir`; the one served before is released once this one is in place. */
  async loadIndex(name: string, dir: string): Promise<void> {
    const hnsw = await HnswVectorIndex.load(dir);
    // Every vector up front, here rather than per request: the main thread serves in-process meanwhile. They are
    // kept in the memory of a cosines' kernel of this index's own, which then reads a candidate's vector where it
    // lies: copying each one in was a tenth of a gathering. Its own, because that memory never grows once it holds
    // them, and the index served until this one is in place keeps its kernel meanwhile.
    const cosines = Dot2Batch.create();
    const place = cosines?.host(hnsw.size, hnsw.info.dimension, KERNEL_SLOTS);
    const vectors = new Map<string, Float32Array>();
    for (const id of hnsw.ids()) {
      const v = hnsw.vectorOf(id);
      if (v) vectors.set(id, place ? place(v) : v);
    }
    this.index?.hnsw.dispose();
    this.index = { name, hnsw, vectors, cosines: place ? cosines : undefined };
    this.tables.setVectors((id) => vectors.get(id));
  }

  /**
   * A session list's candidates, as the worker packs them at once: the set's columns are reused by the next
   * gathering (SessionSetScratch), so read or pack it before asking for another.
   */
  gather(r: GatherRequest): GatheredSet {
    const index = this.index;
    if (!index || index.name !== r.indexName)
      throw new Error(`the thread serves index ${index?.name ?? '(none)'}, not ${r.indexName}`);
    const { hnsw, vectors, cosines } = index;
    const query = r.queryOfSession ? sessionQuery(sessionVectors(r.session, vectors)) : r.query;
    return gatherCandidateSet(
      {
        signals: this.signals,
        vectorOf: (id) => vectors.get(id),
        nearest: (v, k, accept, ef) =>
          hnsw.size === 0 ? [] : hnsw.search(v, { k: Math.min(k, hnsw.size), filter: accept, ef }),
        cosFlat: r.cosFlat,
        selectBy: r.selectBy,
        byRow: this.tables.forRequest(r.rules, r.excluded),
        scratch: this.scratch,
        cosines,
      },
      r.session,
      query,
      itemFilter((id) => this.items.get(id), r.rules, new Set(r.excluded)),
    );
  }
}

/** The vectors of a session's items in session order (as sessionItemVectors reads them on the main thread). */
function sessionVectors(
  session: readonly string[],
  vectors: ReadonlyMap<string, Float32Array>,
): Float32Array[] {
  const out: Float32Array[] = [];
  for (const id of session) {
    const v = vectors.get(id);
    if (v) out.push(v);
  }
  return out;
}
