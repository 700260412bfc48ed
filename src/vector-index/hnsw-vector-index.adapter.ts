// Over 400 lines: one adapter class around one hnswlib handle, whose build, load, search, delete and atomic
// save all keep its label maps and manifest consistent; split, that invariant would span files.
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import { join } from 'path';
import { performance } from 'perf_hooks';
import { setImmediate as yieldToEventLoop } from 'timers/promises';
import { HierarchicalNSW } from 'hnswlib-node';

import {
  FilterStrategy,
  IndexBuildParams,
  IndexEntry,
  IndexInfo,
  IndexManifest,
  QueryVector,
  SearchHit,
  SearchOptions,
  VectorIndex,
} from './vector-index.port';
import { IndexCorruptError, IndexDisposedError, InvalidVectorError } from './vector-index.errors';
import { fsyncPath } from '../common/durable-file';
import { assertItemId, assertPositiveInt, checkVector, resolveParams } from './hnsw-build-params';
import {
  checkWrittenIndexFile,
  commitIndexFiles,
  INDEX_FILE,
  MANIFEST_FILE,
  readVerifiedManifest,
} from './hnsw-index-format';

export { INDEX_FILE, MANIFEST_FILE };

/**
 * Measured with bench/hnsw-filter.ts (100k x 512-d, efSearch 600, k 10): over-fetching took 6.9 / 14 / 22 ms p50 at
 * 50% / 10% / 1% selectivity against 15 / 77 / 396 ms for the library callback, which pays a JS round trip per
 * visited node (77k calls per query at 1%). The callback's higher recall (1.0 vs 0.94-0.99) only comes from
 * walking far deeper than efSearch asks for.
 */
export const DEFAULT_FILTER_STRATEGY: FilterStrategy = 'overfetch';

/**
 * The first over-fetch round asks for at least this many times k (efSearch covers small k anyway). Most lists
 * filter out few items, and the next rounds size themselves from the pass rate seen, so a large k (a
 * personalised list asks for 200) must not pay for four times as many results.
 */
const OVERFETCH_FACTOR = 1.25;

/** Fixed so that a rebuild from the same vectors in the same order gives the same graph. */
const RANDOM_SEED = 100;
/** A long build yields this often so an in-process reindex does not starve HTTP requests. */
const BUILD_SLICE_MS = 20;

type NativeOp = { kind: 'add'; label: number; vector: Float32Array } | { kind: 'delete'; label: number };

interface ScoredLabel {
  label: number;
  score: number;
}

export interface LoadExpectations {
  dimension?: number;
  encoderId?: string;
  modelVersion?: string;
}

export type BuildProgress = (done: number, total: number) => void;

/**
 * hnswlib-node behind the VectorIndex port.
 *
 * Labels are positions in `labels` and are never reused (the library would otherwise keep a deleted label's
 * graph links pointing at a new item, and the manifest positions would shift). Mutations that arrive while the
 * library writes the file on a libuv thread are queued and applied afterwards: resizing or linking during that
 * write would tear the file or free memory under the writer. Queued deletes take effect in search results at
 * once (results are checked against the JS-side label map) and queued additions are searched exactly.
 * The file is long because the write queue, the search paths and the label bookkeeping share private state;
 * the on-disk format lives in hnsw-index-format.ts and the input checks in hnsw-build-params.ts.
 */
export class HnswVectorIndex implements VectorIndex {
  /** Strategy for filtered searches without an explicit `filterStrategy`. */
  filterStrategy: FilterStrategy = DEFAULT_FILTER_STRATEGY;

  private readonly idToLabel = new Map<string, number>();
  private readonly nativeDeleted: Set<number>;
  /** Labels [0, nativeCount) exist in the native index; the rest are queued additions. */
  private nativeCount: number;
  private readonly queue: NativeOp[] = [];
  private readonly queuedVectors = new Map<number, Float32Array>();
  /** Queued deletes of labels the native index still returns; searches ask for that many extra results. */
  private queuedNativeDeletes = 0;
  private writing = false;
  private saveChain: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private efSearch: number;

  private constructor(
    private readonly hnsw: HierarchicalNSW,
    private readonly meta: Omit<IndexInfo, 'efSearch'>,
    private readonly labels: string[],
    deletedLabels: Iterable<number>,
    efSearch: number,
  ) {
    this.nativeDeleted = new Set(deletedLabels);
    this.nativeCount = labels.length;
    this.efSearch = efSearch;
    for (let label = 0; label < labels.length; label++) {
      if (!this.nativeDeleted.has(label)) this.idToLabel.set(labels[label], label);
    }
    hnsw.setEf(efSearch);
  }

  static async build(
    entries: readonly IndexEntry[],
    params: IndexBuildParams,
    onProgress?: BuildProgress,
  ): Promise<HnswVectorIndex> {
    const p = resolveParams(params);
    // Validate everything before spending minutes on the graph.
    const seen = new Set<string>();
    for (const entry of entries) {
      assertItemId(entry.id);
      if (seen.has(entry.id)) throw new InvalidVectorError(`duplicate id in build input: ${entry.id}`);
      seen.add(entry.id);
      checkVector(entry.vector, p.dimension, p.space);
    }

    const hnsw = new HierarchicalNSW(p.space, p.dimension);
    hnsw.initIndex(Math.max(1, entries.length), p.m, p.efConstruction, RANDOM_SEED, false);
    const buffer = new Array<number>(p.dimension);
    let sliceStart = performance.now();
    for (let label = 0; label < entries.length; label++) {
      const vector = entries[label].vector;
      for (let j = 0; j < p.dimension; j++) buffer[j] = vector[j];
      hnsw.addPoint(buffer, label);
      if (performance.now() - sliceStart >= BUILD_SLICE_MS) {
        onProgress?.(label + 1, entries.length);
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
    onProgress?.(entries.length, entries.length);

    const { efSearch, ...meta } = { ...p, builtAt: new Date().toISOString() };
    return new HnswVectorIndex(
      hnsw,
      meta,
      entries.map((e) => e.id),
      [],
      efSearch,
    );
  }

  /**
   * Loads `index.bin` + `manifest.json` from dir. Any inconsistency is an IndexCorruptError (see
   * readVerifiedManifest): the caller rebuilds from PostgreSQL.
   */
  static async load(dir: string, expect: LoadExpectations = {}): Promise<HnswVectorIndex> {
    const manifest = await readVerifiedManifest(dir, expect);
    const indexPath = join(dir, INDEX_FILE);
    const hnsw = new HierarchicalNSW(manifest.space, manifest.dimension);
    try {
      await hnsw.readIndex(indexPath, false);
    } catch (e) {
      throw new IndexCorruptError('library', `hnswlib could not read ${INDEX_FILE} in ${dir}`, { cause: e });
    }
    if (hnsw.getCurrentCount() !== manifest.labels.length) {
      throw new IndexCorruptError('header', `${INDEX_FILE} in ${dir} holds a different number of items`);
    }

    const meta = {
      space: manifest.space,
      dimension: manifest.dimension,
      m: manifest.m,
      efConstruction: manifest.efConstruction,
      encoderId: manifest.encoderId,
      modelVersion: manifest.modelVersion,
      builtAt: manifest.builtAt,
    };
    return new HnswVectorIndex(hnsw, meta, manifest.labels, manifest.deletedLabels, manifest.efSearch);
  }

  get info(): IndexInfo {
    return { ...this.meta, efSearch: this.efSearch };
  }

  /** info.modelVersion without copying the rest: every list names it. */
  get modelVersion(): string {
    return this.meta.modelVersion;
  }

  get size(): number {
    return this.idToLabel.size;
  }

  /** Labels taken by deleted or replaced items; a high share is a reason to rebuild rather than keep adding. */
  get deadLabels(): number {
    return this.labels.length - this.idToLabel.size;
  }

  setEfSearch(ef: number): void {
    this.assertUsable();
    assertPositiveInt(ef, 'efSearch');
    this.hnsw.setEf(ef);
    this.efSearch = ef;
  }

  has(id: string): boolean {
    return this.idToLabel.has(id);
  }

  ids(): IterableIterator<string> {
    return this.idToLabel.keys();
  }

  vectorOf(id: string): Float32Array | undefined {
    this.assertUsable();
    const label = this.idToLabel.get(id);
    if (label === undefined) return undefined;
    const queued = this.queuedVectors.get(label);
    if (queued) return Float32Array.from(queued);
    return Float32Array.from(this.hnsw.getPoint(label));
  }

  search(vector: QueryVector, opts: SearchOptions): SearchHit[] {
    this.assertUsable();
    const { k, filter } = opts;
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
    checkVector(vector, this.meta.dimension, this.meta.space);
    const ef = opts.ef ?? this.efSearch;
    if (opts.ef !== undefined) assertPositiveInt(ef, 'ef');
    if (k === 0) return [];
    const query = numberArray(vector);

    let hits: ScoredLabel[];
    // The library keeps one ef per index: a search of its own breadth sets it and puts it back before returning
    // (searches are synchronous, so no other search sees it).
    if (ef !== this.efSearch) this.hnsw.setEf(ef);
    try {
      if (!filter) {
        hits = this.nativeTopK(query, k + this.queuedNativeDeletes).filter((h) => this.isLive(h.label));
      } else {
        const strategy = opts.filterStrategy ?? this.filterStrategy;
        const labels = this.labels;
        // The graph walk visits each label at most once; only over-fetch rounds need the memo.
        hits =
          strategy === 'callback'
            ? this.searchWithCallback(query, k, (label) => filter(labels[label]))
            : this.searchWithOverfetch(query, k, filter, ef);
      }
    } finally {
      if (ef !== this.efSearch) this.hnsw.setEf(this.efSearch);
    }

    if (this.queuedVectors.size > 0) {
      hits = hits.concat(this.scoreQueued(query, filter)).sort((a, b) => b.score - a.score);
    }
    return hits.slice(0, k).map((h) => ({ id: this.labels[h.label], score: h.score }));
  }

  add(id: string, vector: QueryVector): void {
    this.assertUsable();
    assertItemId(id);
    checkVector(vector, this.meta.dimension, this.meta.space);
    const stored = Float32Array.from(vector);
    // Store what the library would store, so vectorOf() and exact scoring of queued additions agree with it.
    if (this.meta.space === 'cosine') normalise(stored);

    const previous = this.idToLabel.get(id);
    const label = this.labels.length;
    this.labels.push(id);
    this.idToLabel.set(id, label);
    this.enqueue({ kind: 'add', label, vector: stored });
    if (previous !== undefined) this.enqueue({ kind: 'delete', label: previous });
  }

  markDelete(id: string): boolean {
    this.assertUsable();
    const label = this.idToLabel.get(id);
    if (label === undefined) return false;
    this.idToLabel.delete(id);
    this.enqueue({ kind: 'delete', label });
    return true;
  }

  /**
   * index.bin then manifest.json, each via a temp name + fsync + rename, manifest last: a reader that sees a
   * manifest sees the index it describes (or, if dir held an older save, a checksum mismatch — never a silent
   * mix). Saves of one index are serialised.
   */
  save(dir: string): Promise<IndexManifest> {
    const run = this.saveChain.then(() => this.saveNow(dir));
    this.saveChain = run.catch(() => undefined);
    return run;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.idToLabel.clear();
    this.queuedVectors.clear();
    this.labels.length = 0;
    // hnswlib-node does not report its native memory to V8, so a dropped index can sit in RSS for a long time;
    // re-initialising to one element frees it now. Deferred while a background write still reads the memory.
    if (!this.writing) this.releaseNative();
  }

  private releaseNative(): void {
    this.hnsw.initIndex(1, this.meta.m, this.meta.efConstruction, RANDOM_SEED, false);
  }

  private async saveNow(dir: string): Promise<IndexManifest> {
    this.assertUsable();
    await fs.mkdir(dir, { recursive: true });
    const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
    const tmpIndex = join(dir, `${INDEX_FILE}.tmp-${tag}`);
    const tmpManifest = join(dir, `${MANIFEST_FILE}.tmp-${tag}`);
    try {
      // Snapshot of the JS state that matches the native memory being written (no await in between).
      const labels = this.labels.slice(0, this.nativeCount);
      const deletedLabels = [...this.nativeDeleted].sort((a, b) => a - b);
      const efSearch = this.efSearch;
      this.writing = true;
      try {
        await this.hnsw.writeIndex(tmpIndex);
      } finally {
        this.writing = false;
        if (this.disposed) this.releaseNative();
        else this.drainQueue();
      }

      await fsyncPath(tmpIndex);
      const checksum = await checkWrittenIndexFile(tmpIndex, labels.length, dir);

      const manifest: IndexManifest = {
        format: 1,
        space: this.meta.space,
        dimension: this.meta.dimension,
        m: this.meta.m,
        efConstruction: this.meta.efConstruction,
        efSearch,
        encoderId: this.meta.encoderId,
        modelVersion: this.meta.modelVersion,
        count: labels.length - deletedLabels.length,
        builtAt: this.meta.builtAt,
        checksum,
        labels,
        deletedLabels,
      };
      await commitIndexFiles(dir, tmpIndex, tmpManifest, manifest);
      return manifest;
    } catch (e) {
      await Promise.all([fs.rm(tmpIndex, { force: true }), fs.rm(tmpManifest, { force: true })]);
      throw e;
    }
  }

  private assertUsable(): void {
    if (this.disposed) throw new IndexDisposedError();
  }

  private isLive(label: number): boolean {
    return this.idToLabel.get(this.labels[label]) === label;
  }

  private nativeTopK(query: number[], k: number, allow?: (label: number) => boolean): ScoredLabel[] {
    const { neighbors, distances } = this.nativeSearch(query, k, allow);
    return neighbors.map((label, i) => ({ label, score: this.scoreOf(distances[i]) }));
  }

  /** The library's answer as it gives it: labels and distances, nearest first. */
  private nativeSearch(
    query: number[],
    k: number,
    allow?: (label: number) => boolean,
  ): { neighbors: number[]; distances: number[] } {
    if (this.nativeCount === 0) return { neighbors: [], distances: [] };
    // The library rejects k above its capacity; more than that cannot exist anyway.
    const kk = Math.min(k, this.hnsw.getMaxElements());
    return allow ? this.hnsw.searchKnn(query, kk, allow) : this.hnsw.searchKnn(query, kk);
  }

  /** A library distance as a score, higher is nearer: −L2², or the inner product / cosine. */
  private scoreOf(distance: number): number {
    return this.meta.space === 'l2' ? -distance : 1 - distance;
  }

  private searchWithCallback(query: number[], k: number, passes: LabelFilter): ScoredLabel[] {
    // A throw inside the native callback cannot unwind through hnswlib; remember it and rethrow afterwards.
    let failure: { error: unknown } | undefined;
    const allow = (label: number): boolean => {
      if (failure || !this.isLive(label)) return false;
      try {
        return passes(label);
      } catch (error) {
        failure = { error };
        return false;
      }
    };
    const hits = this.nativeTopK(query, k, allow);
    if (failure) throw failure.error;
    return hits;
  }

  /** Unfiltered searches with growing k, filtered in JS, until k pass or the whole index was returned. */
  private searchWithOverfetch(
    query: number[],
    k: number,
    filter: (id: string) => boolean,
    ef: number,
  ): ScoredLabel[] {
    const cap = this.nativeCount;
    const labels = this.labels;
    // With no native operation queued, the library returns no deleted label: every hit is live.
    const allLive = this.queue.length === 0;
    // A later round sees the first round's labels again: from then on the business filter is asked once per
    // label. The first round (almost always the only one) records its verdicts rather than keeping a map.
    let memo: Map<number, boolean> | undefined;
    const firstLabels: number[] = [];
    const firstVerdicts: boolean[] = [];
    const passes = (label: number): boolean => {
      if (!memo) {
        const verdict = filter(labels[label]);
        firstLabels.push(label);
        firstVerdicts.push(verdict);
        return verdict;
      }
      let verdict = memo.get(label);
      if (verdict === undefined) {
        verdict = filter(labels[label]);
        memo.set(label, verdict);
      }
      return verdict;
    };
    // The graph walk collects max(ef, k) candidates anyway: asking for all of them costs little next to a second
    // round and usually makes one enough (efSearch 200 covers selectivities down to 5 % for k = 10).
    let want = Math.max(ef, Math.ceil(k * OVERFETCH_FACTOR)) + this.queuedNativeDeletes;
    for (;;) {
      want = Math.min(want, cap);
      const { neighbors, distances } = this.nativeSearch(query, want);
      // Nearest first: the first k that pass are the answer, so the filter is not asked about the rest.
      const hits: ScoredLabel[] = [];
      for (let i = 0; i < neighbors.length && hits.length < k; i++) {
        const label = neighbors[i];
        if ((allLive || this.isLive(label)) && passes(label))
          hits.push({ label, score: this.scoreOf(distances[i]) });
      }
      if (hits.length >= k || want >= cap) return hits;
      memo ??= new Map(firstLabels.map((label, i) => [label, firstVerdicts[i]]));
      // Size the next round from the pass rate seen so far (+50% margin), at least doubling.
      const rate = Math.max(hits.length, 1) / Math.max(neighbors.length, 1);
      want = Math.max(want * 2, Math.ceil((k / rate) * 1.5) + this.queuedNativeDeletes);
    }
  }

  /** Exact scores for additions queued behind a background write (few, by construction). */
  private scoreQueued(query: number[], filter: ((id: string) => boolean) | undefined): ScoredLabel[] {
    const out: ScoredLabel[] = [];
    let queryNorm = 1;
    if (this.meta.space === 'cosine') queryNorm = Math.sqrt(dot(query, query));
    for (const [label, vector] of this.queuedVectors) {
      if (!this.isLive(label) || (filter && !filter(this.labels[label]))) continue;
      let score: number;
      if (this.meta.space === 'l2') {
        let sum = 0;
        for (let j = 0; j < vector.length; j++) sum += (query[j] - vector[j]) ** 2;
        score = -sum;
      } else {
        score = dot(query, vector) / queryNorm;
      }
      out.push({ label, score });
    }
    return out;
  }

  private enqueue(op: NativeOp): void {
    if (!this.writing) {
      this.apply(op);
      return;
    }
    this.queue.push(op);
    if (op.kind === 'add') this.queuedVectors.set(op.label, op.vector);
    else if (op.label < this.nativeCount) this.queuedNativeDeletes++;
  }

  private drainQueue(): void {
    const ops = this.queue.splice(0);
    this.queuedVectors.clear();
    this.queuedNativeDeletes = 0;
    for (const op of ops) this.apply(op);
  }

  private apply(op: NativeOp): void {
    if (op.kind === 'delete') {
      this.hnsw.markDelete(op.label);
      this.nativeDeleted.add(op.label);
      return;
    }
    // Labels are handed out in order and applied in order, so the next native label is always nativeCount.
    const capacity = this.hnsw.getMaxElements();
    if (op.label >= capacity) {
      // Grow geometrically: resizeIndex copies the whole level-0 block.
      this.hnsw.resizeIndex(Math.max(op.label + 1, Math.ceil(capacity * 1.25), capacity + 1024));
    }
    this.hnsw.addPoint(numberArray(op.vector), op.label);
    this.nativeCount = op.label + 1;
  }
}

type LabelFilter = (label: number) => boolean;

function normalise(vector: Float32Array): void {
  let sumSquares = 0;
  for (let j = 0; j < vector.length; j++) sumSquares += vector[j] * vector[j];
  const norm = Math.sqrt(sumSquares);
  for (let j = 0; j < vector.length; j++) vector[j] /= norm;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) sum += a[j] * b[j];
  return sum;
}

/**
 * The library takes a plain array. Array.from would walk a typed array through its iterator, one result object
 * per component, on every search.
 */
function numberArray(v: QueryVector): number[] {
  const out: number[] = [];
  for (let j = 0; j < v.length; j++) out.push(v[j]);
  return out;
}
