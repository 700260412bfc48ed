/**
 * The vector-index port: what the rest of Aisle may rely on, independent of hnswlib-node.
 * The adapter is `HnswVectorIndex` (hnsw-vector-index.adapter.ts); services depend on this file only, so a
 * hand-made fake is enough in their unit specs.
 */

export type IndexSpace = 'ip' | 'cosine' | 'l2';

/** Written next to `index.bin` as `manifest.json`; the only way to interpret the binary file. */
export interface IndexManifest {
  format: 1;
  space: IndexSpace;
  dimension: number;
  m: number;
  efConstruction: number;
  efSearch: number;
  encoderId: string;
  modelVersion: string;
  /** Live items (labels minus deletedLabels). */
  count: number;
  builtAt: string;
  /** sha256 (hex) of index.bin. */
  checksum: string;
  /** label -> item id; position = label. Dead labels keep their id so positions never shift. */
  labels: string[];
  /**
   * Labels that were markDeleted (sorted). Not in the original sketch, but needed: without it a reload cannot
   * tell a deleted item from a live one, and a deleted id would come back to life in `has()`.
   */
  deletedLabels: number[];
}

export interface SearchHit {
  id: string;
  /** Similarity, higher is better: 'ip' / 'cosine' → 1 - distance; 'l2' → -(squared L2 distance). */
  score: number;
}

/**
 * How a filtered search finds k passing items (both return k whenever at least k live items pass).
 * - 'overfetch' (default): unfiltered searches with growing k, filtered in JS; the first round takes all efSearch
 *   candidates the walk collects anyway, later rounds are sized from the pass rate seen so far.
 * - 'callback': the library's filter callback; the graph walk continues until it holds efSearch passing items.
 *   Higher recall, but one JS call per visited node: 2x (50%) to 18x (1%) slower at 100k (bench/hnsw-filter.ts).
 */
export type FilterStrategy = 'callback' | 'overfetch';

export interface SearchOptions {
  k: number;
  /** Business rules; must be synchronous and cheap — it may run thousands of times per search. */
  filter?: (id: string) => boolean;
  /** Override the index default; meant for benchmarks. */
  filterStrategy?: FilterStrategy;
  /**
   * Breadth of this search's graph walk (hnswlib's ef; the walk never holds fewer than k), instead of the
   * index's efSearch. A caller that re-ranks what it gets by other signals can trade a little recall for a
   * cheaper walk; the index's own setting is unchanged.
   */
  ef?: number;
}

export interface IndexBuildParams {
  space: IndexSpace;
  dimension: number;
  m?: number;
  efConstruction?: number;
  efSearch?: number;
  encoderId: string;
  modelVersion: string;
}

export interface IndexEntry {
  id: string;
  vector: Float32Array;
}

/** Everything in the manifest except the bulky / file-specific fields. */
export interface IndexInfo {
  space: IndexSpace;
  dimension: number;
  m: number;
  efConstruction: number;
  efSearch: number;
  encoderId: string;
  modelVersion: string;
  builtAt: string;
}

export type QueryVector = Float32Array | readonly number[];

export interface VectorIndex {
  readonly info: IndexInfo;
  /** info.modelVersion, read without building info. */
  readonly modelVersion: string;
  /** Live items. */
  readonly size: number;
  search(vector: QueryVector, opts: SearchOptions): SearchHit[];
  has(id: string): boolean;
  /** Live ids, e.g. to reconcile the index against the catalog. */
  ids(): IterableIterator<string>;
  /** The stored vector (unit-normalised in the 'cosine' space, as the library stores it). */
  vectorOf(id: string): Float32Array | undefined;
  /** Adds or replaces an item; a replaced item's old label stays dead. */
  add(id: string, vector: QueryVector): void;
  /** Returns false when the id is not (or no longer) in the index. */
  markDelete(id: string): boolean;
  /** Writes index.bin + manifest.json into dir atomically (manifest last). */
  save(dir: string): Promise<IndexManifest>;
  /** Frees native memory now instead of whenever V8 gets round to it; the index is unusable afterwards. */
  dispose(): void;
}

/**
 * Tuned with bench/hnsw-recall.ts on 100k x 512-d embedding-like vectors (`--dist lowrank`: rank-64 subspace
 * plus noise), target recall@10 >= 0.98:
 *   M=16, efC=200: efSearch 100 -> 0.72, 400 -> 0.966, 500 -> 0.979, 600 -> 0.988, 800 -> 0.995
 *   M=32, efC=200: efSearch 200 -> 0.974, 250 -> 0.985, 300 -> 0.991 (~20% faster queries at equal recall,
 *                  but twice the build time)
 * M=16 keeps the nightly rebuild cheap; efSearch is stored per index and can be changed without a rebuild, so
 * re-measure it on the real item vectors (`bench/hnsw-recall.ts --vectors ... --index-dir ... --ef ...`):
 * real sentence embeddings are usually easier than this synthetic set and may need far less.
 * Uniformly random 512-d vectors are hopeless for any graph index (recall 0.09 at 100, 0.68 at 1600).
 */
export const VECTOR_INDEX_DEFAULTS = { m: 16, efConstruction: 200, efSearch: 600 } as const;

/**
 * The search breadth Aisle serves an index of `size` items with, unless INDEX_EF_SEARCH says otherwise. Measured
 * on real item vectors (`bench/export-vectors.ts`, then `bench/hnsw-recall.ts --vectors`, 500 held-out items,
 * raw 512-d text vectors, M=16, efC=200): Online Retail (3.7k items) recall@10 0.9996 at 100; a 100k-item catalog
 * of the same titles in colour and size variants 0.9818 at 100, 0.9892 at 200, 0.9930 at 600, its searches taking
 * 0.56 / 0.96 / 2.29 ms. Above 20k items 200 keeps recall near 0.99 at under half the cost of 600, the value the
 * synthetic set above asks for: real text embeddings are far easier than it.
 */
export function defaultEfSearch(size: number): number {
  return size <= 20_000 ? 100 : 200;
}
