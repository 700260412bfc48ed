import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Subscription } from 'rxjs';
import type { DataSource } from 'typeorm';
import { withLock } from '../database/advisory-lock';
import { AdvisoryLock } from '../database/locks';
import { CatalogChanges } from '../catalog/catalog-changes';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EmbeddingsService } from '../embeddings/embeddings.service';
import { ReadinessIndicators } from '../health/readiness';
import { MetricsService } from '../metrics/metrics.service';
import { CatalogSnapshot } from '../catalog/catalog-snapshot';
import { HnswVectorIndex } from './hnsw-vector-index.adapter';
import { IndexHolder } from './index-holder';
import { PinnedIndex } from './pinned-index';
import { ServingModel } from '../serving-model/serving-model';
import { rawProjection, type VectorProjection } from './projection';
import { IndexCorruptError, IndexIncompleteError, IndexSupersededError } from './vector-index.errors';
import { ItemsRepository } from '../catalog/items.repository';
import { CHANNELS } from '../sync/change-channels';
import { ChangeFeed } from '../sync/change-feed';
import { defaultEfSearch, type SearchHit, type VectorIndex } from './vector-index.port';
import { normalize } from '../common/vectors';
import { ProblemException } from '../common/problem';

export interface RebuildResult {
  size: number;
  modelVersion: string;
  encoderId: string;
  seconds: number;
  directory: string;
}

/**
 * The served vector index: loaded from disk at start-up (rebuilt from the vectors in PostgreSQL when it is
 * missing or corrupt), rebuilt off to the side by the reindex job and swapped in whole.
 */
@Injectable()
export class IndexService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('VectorIndex');
  /**
   * Every index a process loads is searched as wide as this server is configured to (efSearch), not as wide as
   * the process that built it was: INDEX_EF_SEARCH is a serving knob, and a changed default reaches indexes
   * built before it without a rebuild.
   */
  readonly holder = new IndexHolder({
    load: async (dir, expect) => {
      const index = await HnswVectorIndex.load(dir, expect);
      index.setEfSearch(this.efSearchFor(index.size));
      return index;
    },
  });
  private projection: VectorProjection | undefined;
  private sub: Subscription | undefined;
  private readonly servedListeners = new Set<(name: string) => void>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly embeddings: EmbeddingsService,
    private readonly snapshot: CatalogSnapshot,
    private readonly metrics: MetricsService,
    private readonly items: ItemsRepository,
    private readonly feed: ChangeFeed,
    private readonly serving: ServingModel,
    readiness: ReadinessIndicators,
    changes: CatalogChanges,
    @InjectDataSource() private readonly db: DataSource,
  ) {
    // Deleted items leave the served index at once; the catalog snapshot covers stock and price rules.
    this.sub = changes.changes$.subscribe((c) => {
      if (c.kind === 'deleted') for (const id of c.ids) this.holder.markDelete(id);
      this.metrics.indexSize.set(this.holder.current()?.size ?? 0);
    });
    readiness.register(() => {
      const ready = this.holder.current() !== undefined || this.snapshot.size === 0;
      return { vectorIndex: { status: ready ? 'up' : 'down', size: this.holder.current()?.size ?? 0 } };
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      const loaded = await this.holder.loadCurrent(this.config.dataDir);
      if (loaded) {
        this.projection = this.projectionFor(loaded);
        this.logger.log(
          `loaded index ${this.holder.currentName()} (${loaded.size} items, model ${loaded.info.modelVersion})`,
        );
        this.metrics.indexSize.set(loaded.size);
        this.warmVectors(loaded);
        this.announceServed();
      }
    } catch (e) {
      if (!(e instanceof IndexCorruptError)) throw e;
      this.logger.warn(
        `index on disk is unusable (${e.message}); it will be rebuilt from the stored vectors`,
      );
    }
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  /** The search breadth of an index of `size` items: INDEX_EF_SEARCH, else defaultEfSearch. */
  private efSearchFor(size: number): number {
    return this.config.indexEfSearch ?? defaultEfSearch(size);
  }

  current(): VectorIndex | undefined {
    return this.holder.current();
  }

  /** The published directory of the served index (undefined: none served). */
  currentName(): string | undefined {
    return this.holder.currentName();
  }

  /**
   * Calls `listener` with the published name of every index this process serves from now on (loaded at start-up,
   * built here, adopted from another process), as it starts serving it; returns the unsubscribe.
   */
  onServed(listener: (name: string) => void): () => void {
    this.servedListeners.add(listener);
    return () => this.servedListeners.delete(listener);
  }

  private announceServed(): void {
    const name = this.holder.currentName();
    if (name !== undefined) for (const l of this.servedListeners) l(name);
  }

  /** Re-reads the projection for the served index (after another process activated a model version). */
  refreshProjection(): void {
    const index = this.holder.current();
    if (index) this.projection = this.projectionFor(index);
  }

  /**
   * The projection `index`'s vectors were made with: the active model's only when the index was built for it. A
   * model adopted from another process before its index (the activating process rebuilds, or this one's
   * reconciler does, seconds later) would otherwise place a new item's text, or a text query, in the new model's
   * space while the search still runs in the old one. Undefined: built for a version whose weights this process
   * does not hold, so no text can be placed in its space until an index of a known version is served.
   */
  private projectionFor(index: VectorIndex): VectorProjection | undefined {
    const version = index.info.modelVersion;
    const active = this.serving.current().projection;
    if (active?.version === version) return active;
    if (this.projection?.version === version) return this.projection;
    return version === 'raw' ? rawProjection(index.info.dimension) : undefined;
  }

  /**
   * Loads the index CURRENT names when another process published a newer one (no-op otherwise). One at a time:
   * a server's reindex child and the change feed's notice of the same index both ask, and two syncs that each
   * saw the old name before either loaded used to adopt it twice (two warming passes, two announcements).
   */
  syncFromDisk(): Promise<void> {
    const run = this.syncing.then(() => this.adoptPublished());
    this.syncing = run.catch(() => undefined);
    return run;
  }

  private syncing: Promise<unknown> = Promise.resolve();

  private async adoptPublished(): Promise<void> {
    const before = this.holder.currentName();
    try {
      const loaded = await this.holder.loadCurrent(this.config.dataDir);
      if (loaded && this.holder.currentName() !== before) {
        this.projection = this.projectionFor(loaded);
        this.metrics.indexSize.set(loaded.size);
        this.warmVectors(loaded);
        this.announceServed();
        this.logger.log(
          `adopted index ${this.holder.currentName()} published elsewhere (${loaded.size} items)`,
        );
      }
    } catch (e) {
      if (!(e instanceof IndexCorruptError)) throw e;
      this.logger.warn(`published index is unusable (${e.message}); keeping the one in memory`);
    }
  }

  /**
   * The served vector of an item. hnswlib's getPoint copies through a JS array (≈0.4 ms for 512-d), far too slow
   * for the hundreds of lookups a personalised list makes, so vectors are kept per index in a plain map: filled
   * at build time, and lazily after a load from disk.
   */
  vectorOf(id: string): Float32Array | undefined {
    return this.vectorLookup()(id);
  }

  /**
   * vectorOf bound to the index served now: a request that looks up hundreds of vectors resolves the index and
   * its map once. Use it synchronously (within one turn of the event loop), as any reader of the index.
   */
  vectorLookup(): (id: string) => Float32Array | undefined {
    const index = this.holder.current();
    if (!index) return () => undefined;
    let cache = this.vectors.get(index);
    if (!cache) this.vectors.set(index, (cache = new Map<string, Float32Array>()));
    const vectors = cache;
    return (id) => {
      if (!index.has(id)) return undefined;
      let v = vectors.get(id);
      if (v === undefined) {
        v = index.vectorOf(id);
        if (v) vectors.set(id, v);
      }
      return v;
    };
  }

  private readonly vectors = new WeakMap<VectorIndex, Map<string, Float32Array>>();

  /**
   * Fills the vector map of an index loaded from disk in 10 ms slices between requests, so the first requests
   * after a start or an adopted index do not each pay hundreds of getPoint copies.
   */
  private warmVectors(index: VectorIndex): void {
    const ids = [...index.ids()];
    let next = 0;
    const slice = () => {
      if (this.holder.current() !== index) return;
      const until = Date.now() + 10;
      try {
        while (next < ids.length && Date.now() < until) this.vectorOf(ids[next++]);
      } catch {
        return; // closed under us (shutdown or swap): the next index warms itself
      }
      if (next < ids.length) setImmediate(slice);
    };
    setImmediate(slice);
  }

  /**
   * The projection the served index was built with (identity before any fine-tune); undefined when no index is
   * served or it was built for a version this process holds no weights for (see projectionFor).
   */
  currentProjection(): VectorProjection | undefined {
    return this.projection;
  }

  /** Whether an index exists; when the catalog has items but no index does, the caller should queue a rebuild. */
  needsBuild(): boolean {
    return this.holder.current() === undefined && this.snapshot.size > 0;
  }

  /**
   * Builds a fresh index from the live items' vectors in PostgreSQL (projected by `projection` or the active
   * model), checks it against PostgreSQL, publishes it and swaps it in. `required` (id → text hash, default:
   * every live item that has a vector) names what it must hold: each such item still live with that text when
   * the build ends. Anything missing fails the rebuild before publishing, so the previous index keeps serving.
   *
   * Without `projection` it follows the active model, and publishes only if that model is still the active one
   * (IndexSupersededError otherwise), checked under the lock an activation holds from its publish to its mark:
   * a reindex that started before an activation and ended after it would otherwise replace the new model's
   * index with the old one's, on every server, until a reconciler rebuilt it. With `projection` the caller (an
   * activation) holds that lock itself.
   */
  async rebuild(
    progress: (done: number, total: number) => void = () => undefined,
    projection?: VectorProjection,
    required?: ReadonlyMap<string, string>,
  ): Promise<RebuildResult> {
    const started = Date.now();
    const { encoderId, dimension, vectors, live } = await this.embeddings.catalogVectors();
    const proj = projection ?? this.serving.current().projection ?? rawProjection(dimension);
    const entries = [...vectors].map(([id, v]) => ({ id, vector: proj.project(id, v) }));
    const index = await HnswVectorIndex.build(
      entries,
      {
        space: 'ip',
        dimension: proj.dimension,
        encoderId,
        modelVersion: proj.version,
        efSearch: this.efSearchFor(entries.length),
      },
      progress,
    );
    // Items deleted while the build ran must not come back with the swap. PostgreSQL says which, never this
    // process's snapshot: it may not have heard of a catalog another process just wrote.
    const must = required ?? new Map([...live].filter(([id]) => vectors.has(id)));
    const stillLive = await this.items.existing([...new Set([...vectors.keys(), ...must.keys()])]);
    for (const e of entries) if (!stillLive.has(e.id)) index.markDelete(e.id);
    const missing = [...must]
      .filter(([id, hash]) => stillLive.has(id) && live.get(id) === hash && !index.has(id))
      .map(([id]) => id);
    const expectedSize = entries.filter((e) => stillLive.has(e.id)).length;
    if (missing.length > 0 || index.size !== expectedSize) {
      index.dispose();
      throw new IndexIncompleteError(missing, Math.max(expectedSize, must.size));
    }
    this.vectors.set(index, new Map<string, Float32Array>(entries.map((e) => [e.id, normalize(e.vector)])));
    const published =
      projection !== undefined
        ? await this.holder.publish(this.config.dataDir, index)
        : await withLock(this.db, AdvisoryLock.IndexActivation, async () => {
            const rows = await this.db.query<Array<{ version: string }>>(
              `SELECT version FROM model_versions WHERE status = 'active' LIMIT 1`,
            );
            const active = rows[0]?.version ?? rawProjection(1).version;
            if (active !== proj.version) {
              index.dispose();
              throw new IndexSupersededError(proj.version, active);
            }
            return this.holder.publish(this.config.dataDir, index);
          });
    this.projection = proj;
    this.metrics.indexSize.set(index.size);
    this.announceServed();
    // Other processes adopt it now rather than at their next safety-net check.
    await this.feed
      .notify(CHANNELS.index, { name: published.name })
      .catch((e: unknown) => this.logger.warn(`could not announce the new index: ${(e as Error).message}`));
    return {
      size: index.size,
      modelVersion: proj.version,
      encoderId,
      seconds: (Date.now() - started) / 1000,
      directory: published.name,
    };
  }

  /**
   * The live catalog projected by a version served by name, built in memory beside the served index and
   * never published. `encoderId` is the encoder the version was trained on: its projection cannot read
   * another encoder's vectors.
   */
  async buildPinned(projection: VectorProjection, encoderId: string): Promise<PinnedIndex> {
    const { encoderId: current, vectors } = await this.embeddings.catalogVectors();
    if (current !== encoderId)
      throw new ProblemException(
        409,
        `Model version "${projection.version}" was trained on encoder ${encoderId}; the catalog is embedded with ${current}`,
      );
    const entries = [...vectors].map(([id, v]) => ({ id, vector: projection.project(id, v) }));
    const index = await HnswVectorIndex.build(entries, {
      space: 'ip',
      dimension: projection.dimension,
      encoderId,
      modelVersion: projection.version,
      efSearch: this.efSearchFor(entries.length),
    });
    const live = await this.items.existing([...vectors.keys()]);
    for (const e of entries) if (!live.has(e.id)) index.markDelete(e.id);
    return new PinnedIndex(index, projection, new Map(entries.map((e) => [e.id, normalize(e.vector)])));
  }

  /**
   * Nearest items to a vector that pass `filter`; an empty list while no index exists. `ef`: this search's
   * graph-walk breadth (SearchOptions.ef), the index's efSearch when undefined.
   */
  search(vector: Float32Array, k: number, filter: (id: string) => boolean, ef?: number): SearchHit[] {
    const index = this.holder.current();
    if (!index || index.size === 0) return [];
    return index.search(vector, { k: Math.min(k, index.size), filter, ef });
  }
}
