import { DenseIds } from './dense-ids';
import { drain, PACED_SLICE, runPaced, sortRowsPaced, type Paced } from './paced';
import type { ItemKnnModel } from './item-knn';

/** The co-purchase neighbours of one item, most similar first, as parallel arrays. */
export interface ItemNeighbours {
  /** The neighbour ids in list order: made when first read (the ranking reads rows, see idOfRow). */
  readonly ids: readonly string[];
  readonly sims: Float32Array;
  /** The neighbours as dense row numbers (NeighbourLists.idOfRow), for scratch-array accumulation. */
  readonly rows: Int32Array;
  /**
   * Each neighbour's place in ascending id order among all the lists' neighbours: ranking breaks ties by id,
   * and comparing these is far cheaper than comparing the strings (sums of similarities tie often).
   */
  readonly ranks: Int32Array;
  /**
   * The id of each row, for the whole lists (NeighbourLists.idOfRow): neighbour k is `idOfRow[rows[k]]`. One
   * array for every list rather than an id array per list, which on a large shop was millions of entries
   * built on the event loop each time a computation was loaded.
   */
  readonly idOfRow: readonly string[];
}

const NONE: ItemNeighbours = Object.freeze({
  ids: Object.freeze([] as string[]),
  sims: new Float32Array(0),
  rows: new Int32Array(0),
  ranks: new Int32Array(0),
  idOfRow: Object.freeze([] as string[]),
});

/**
 * NeighbourLists as structured-clonable data, in CSR form: item `items[k]`'s neighbours are the rows
 * `offsets[k] .. offsets[k+1]` of the flat arrays, and `ids` names each neighbour row. A neighbour is a row
 * number here, not its id: a clone of the lists by item would copy a string per neighbour (millions on a large
 * shop) into every thread that receives them. The flat arrays live in shared memory (see `shared`), so a thread
 * that receives them reads the same memory rather than a copy.
 */
export interface NeighbourListsWire {
  items: readonly string[];
  offsets: Int32Array;
  sims: Float32Array;
  rows: Int32Array;
  ranks: Int32Array;
  ids: readonly string[];
}

/**
 * Typed arrays over shared memory. Lists are never written once built, so every thread can read one copy:
 * posting them to the session thread or a fine-tune worker copies nothing (on a large shop, ~150 MB that the
 * event loop used to copy and the receiving thread to hold twice).
 */
export const shared = {
  int32: (n: number) => new Int32Array(new SharedArrayBuffer(4 * n)),
  float32: (n: number) => new Float32Array(new SharedArrayBuffer(4 * n)),
};

/**
 * Every item's neighbour list. A lookup on the request path is one map access and allocates nothing after an
 * item's first (the personalised list asks for up to a hundred history items per request); the per-item views
 * are made on first use, so loading a large shop's lists builds no object per item on the event loop.
 */
export class NeighbourLists {
  /** Each item's place k in the CSR arrays. */
  private readonly slotOf = new Map<string, number>();
  private readonly views: Array<ItemNeighbours | undefined>;

  private constructor(
    /** Every id that is some item's neighbour, numbered by row. */
    private readonly rows: DenseIds,
    /** The same lists in CSR form (the wire's, without `ids`). */
    private readonly csr: Omit<NeighbourListsWire, 'ids'>,
  ) {
    const { items, offsets } = csr;
    for (let k = 0; k < items.length; k++) if (offsets[k + 1] > offsets[k]) this.slotOf.set(items[k], k);
    this.views = new Array<ItemNeighbours | undefined>(items.length);
  }

  static readonly EMPTY = NeighbourLists.fromCsr([], Int32Array.of(0), [], new Float32Array(0));

  /** Every id that is some item's neighbour, by dense row number. */
  get idOfRow(): readonly string[] {
    return this.rows.ids;
  }

  /** The dense row of a neighbour id, −1 when it is nobody's neighbour. */
  rowOf(id: string): number {
    return this.rows.numberOf(id);
  }

  /** From CSR arrays: item k's neighbours are neighbourIds[offsets[k] .. offsets[k+1]). */
  static fromCsr(
    itemIds: readonly string[],
    offsets: Int32Array,
    neighbourIds: readonly string[],
    sims: Float32Array,
  ): NeighbourLists {
    const numbering = new DenseIds();
    const rows = shared.int32(neighbourIds.length);
    for (let p = 0; p < neighbourIds.length; p++) rows[p] = numbering.intern(neighbourIds[p]);
    return NeighbourLists.fromRows(itemIds, offsets, numbering.ids, rows, sims);
  }

  /**
   * From CSR arrays whose neighbours are already numbered, in any order: item k's neighbours are the rows
   * `rows[offsets[k] .. offsets[k+1])`, and row r is `idOfRow[r]` (each id once). No string per neighbour is
   * looked up here.
   */
  static fromRows(
    itemIds: readonly string[],
    offsets: Int32Array,
    idOfRow: readonly string[],
    rows: Int32Array,
    sims: Float32Array,
  ): NeighbourLists {
    return drain(NeighbourLists.build(itemIds, offsets, DenseIds.of(idOfRow), rows, sims));
  }

  /**
   * As fromRows, with the numbering the caller made as it read the rows, built a slice at a time with
   * `between()` awaited after each: a load on a serving process. On a large shop (100k neighbour ids, 6.1M
   * neighbours) ordering the ids and ranking every neighbour held the event loop for ~140 ms per table.
   */
  static async fromRowsPaced(
    itemIds: readonly string[],
    offsets: Int32Array,
    numbering: DenseIds,
    rows: Int32Array,
    sims: Float32Array,
    between: () => Promise<void>,
  ): Promise<NeighbourLists> {
    return runPaced(NeighbourLists.build(itemIds, offsets, numbering, rows, sims), between);
  }

  /** fromRows' work, yielding after each slice of roughly `PACED_SLICE` elementary steps. */
  private static *build(
    itemIds: readonly string[],
    offsets: Int32Array,
    numbering: DenseIds,
    rows: Int32Array,
    sims: Float32Array,
  ): Paced<NeighbourLists> {
    const ids = numbering.ids;
    const all = new Int32Array(ids.length);
    for (let r = 0; r < all.length; r++) all[r] = r;
    const byId = yield* sortRowsPaced(all, (a, b) => ids[a] < ids[b]);
    const rankOfRow = new Int32Array(byId.length);
    for (let rank = 0; rank < byId.length; rank++) rankOfRow[byId[rank]] = rank;
    const ranks = shared.int32(rows.length);
    for (let from = 0; from < rows.length; from += PACED_SLICE * 8) {
      const to = Math.min(rows.length, from + PACED_SLICE * 8);
      for (let p = from; p < to; p++) ranks[p] = rankOfRow[rows[p]];
      yield;
    }
    return new NeighbourLists(numbering, {
      items: itemIds,
      offsets: sharedCopy(offsets),
      sims: sharedCopy(sims),
      rows: sharedCopy(rows),
      ranks,
    });
  }

  /** From an in-memory kNN build (similarities narrowed to float32, as the table stores them). */
  static fromKnn(knn: ItemKnnModel): NeighbourLists {
    return NeighbourLists.fromCsr(
      knn.itemIds,
      knn.offsets,
      Array.from(knn.neighbors, (i) => knn.itemIds[i]),
      Float32Array.from(knn.similarities),
    );
  }

  get size(): number {
    return this.slotOf.size;
  }

  /** The lists as plain data for another thread (structured clone); `fromWire` there gives the same lists. */
  toWire(): NeighbourListsWire {
    return { ...this.csr, ids: this.rows.ids };
  }

  static fromWire(w: NeighbourListsWire): NeighbourLists {
    const { ids, ...csr } = w;
    return new NeighbourLists(DenseIds.of(ids), csr);
  }

  of(id: string): ItemNeighbours {
    return this.at(this.slotOf.get(id) ?? -1);
  }

  /** The list of the item at place `k` of `itemIds` (what `of` answers for it); none for k < 0. */
  at(k: number): ItemNeighbours {
    if (k < 0) return NONE;
    return (this.views[k] ??= this.view(k));
  }

  /** The item at each place `k` of the lists (see `at`). */
  get itemIds(): readonly string[] {
    return this.csr.items;
  }

  /** How many neighbours the item at place `k` has: `of` finds an item only at a place with some. */
  lengthAt(k: number): number {
    return this.csr.offsets[k + 1] - this.csr.offsets[k];
  }

  private view(k: number): ItemNeighbours {
    const { offsets, sims, rows, ranks } = this.csr;
    const from = offsets[k];
    const to = offsets[k + 1];
    return new ListView(
      sims.subarray(from, to),
      rows.subarray(from, to),
      ranks.subarray(from, to),
      this.rows.ids,
    );
  }
}

/**
 * One item's list, its ids made when first read. A class rather than an object literal with a getter: each such
 * literal got a hidden class of its own (its getter is a new function each time), so a summing loop that reads
 * many items' lists found its property loads megamorphic and paid a generic lookup for each (`Builtins_LoadIC`,
 * ~4 % of a gathering on the session thread).
 */
class ListView implements ItemNeighbours {
  private madeIds: string[] | undefined;

  constructor(
    readonly sims: Float32Array,
    readonly rows: Int32Array,
    readonly ranks: Int32Array,
    readonly idOfRow: readonly string[],
  ) {}

  get ids(): readonly string[] {
    return (this.madeIds ??= Array.from(this.rows, (r) => this.idOfRow[r]));
  }
}

/** `a` itself when it already lives in shared memory, else a copy that does. */
function sharedCopy<T extends Int32Array | Float32Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const copy = (a instanceof Int32Array ? shared.int32(a.length) : shared.float32(a.length)) as T;
  copy.set(a);
  return copy;
}
