import { DenseIds } from './dense-ids';
import type { ItemKnnModel } from './item-knn';

/** The co-purchase neighbours of one item, most similar first, as parallel arrays. */
export interface ItemNeighbours {
  readonly ids: readonly string[];
  readonly sims: Float32Array;
  /** The neighbours as dense row numbers (NeighbourLists.idOfRow), for scratch-array accumulation. */
  readonly rows: Int32Array;
  /**
   * Each neighbour's place in ascending id order among all the lists' neighbours: ranking breaks ties by id,
   * and comparing these is far cheaper than comparing the strings (sums of similarities tie often).
   */
  readonly ranks: Int32Array;
}

const NONE: ItemNeighbours = Object.freeze({
  ids: Object.freeze([] as string[]),
  sims: new Float32Array(0),
  rows: new Int32Array(0),
  ranks: new Int32Array(0),
});

/**
 * NeighbourLists as structured-clonable data, in CSR form: item `items[k]`'s neighbours are the rows
 * `offsets[k] .. offsets[k+1]` of the flat arrays, and `ids` names each neighbour row. A neighbour is a row
 * number here, not its id: a clone of the lists by item would copy a string per neighbour (millions on a large
 * shop) into every thread that receives them.
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
 * Every item's neighbour list, sliced once when loaded so a lookup on the request path is one map access and
 * allocates nothing (the personalised list asks for up to a hundred history items per request).
 */
export class NeighbourLists {
  private constructor(
    private readonly lists: ReadonlyMap<string, ItemNeighbours>,
    /** Every id that is some item's neighbour, numbered by row. */
    private readonly rows: DenseIds,
    /** The same lists in CSR form (the wire's, without `ids`). */
    private readonly csr: Omit<NeighbourListsWire, 'ids'>,
  ) {}

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
    const rows = Int32Array.from(neighbourIds, (id) => numbering.intern(id));
    const byId = numbering.ids
      .map((_, r) => r)
      .sort((a, b) => {
        const x = numbering.ids[a];
        const y = numbering.ids[b];
        return x < y ? -1 : x > y ? 1 : 0;
      });
    const rankOfRow = new Int32Array(byId.length);
    byId.forEach((r, rank) => (rankOfRow[r] = rank));
    const ranks = Int32Array.from(rows, (r) => rankOfRow[r]);
    return NeighbourLists.sliced({ items: itemIds, offsets, sims, rows, ranks }, numbering);
  }

  /** The lists by item over CSR arrays, each list's ids the numbering's own strings. */
  private static sliced(csr: Omit<NeighbourListsWire, 'ids'>, numbering: DenseIds): NeighbourLists {
    const { items, offsets, sims, rows, ranks } = csr;
    const idOf = numbering.ids;
    const lists = new Map<string, ItemNeighbours>();
    items.forEach((id, k) => {
      const from = offsets[k];
      const to = offsets[k + 1];
      if (to > from) {
        const own = rows.subarray(from, to);
        lists.set(id, {
          ids: Array.from(own, (r) => idOf[r]),
          sims: sims.subarray(from, to),
          rows: own,
          ranks: ranks.subarray(from, to),
        });
      }
    });
    return new NeighbourLists(lists, numbering, csr);
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
    return this.lists.size;
  }

  /** The lists as plain data for another thread (structured clone); `fromWire` there gives the same lists. */
  toWire(): NeighbourListsWire {
    return { ...this.csr, ids: this.rows.ids };
  }

  static fromWire(w: NeighbourListsWire): NeighbourLists {
    const rows = new DenseIds();
    for (const id of w.ids) rows.intern(id);
    return NeighbourLists.sliced(w, rows);
  }

  of(id: string): ItemNeighbours {
    return this.lists.get(id) ?? NONE;
  }
}
