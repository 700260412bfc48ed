import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { LearningEvents } from '../events/learning-events.service';
import { ShopClock } from '../events/shop-clock';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { NewArrivalExposure } from '../attribution/new-arrival-exposure';
import { CatalogSnapshot } from '../catalog/catalog-snapshot';
import { ItemsRepository } from '../catalog/items.repository';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EmbeddingsService } from '../embeddings/embeddings.service';
import { UserChanges } from '../events/user-changes';
import { PurchaseSignalsService } from '../recommendations/purchase-signals.service';
import { ProfileService } from '../recommendations/profile.service';
import { RecommendationCache } from '../recommendations/recommendation-cache';
import { RecommendationsService } from '../recommendations/recommendations.service';
import { ServingModel } from '../serving-model/serving-model';
import { PinnedModels } from '../training/pinned-models.service';
import { IndexService } from '../vector-index/index.service';
import type { PinnedIndex } from '../vector-index/pinned-index';
import type { VectorIndex } from '../vector-index/vector-index.port';

/** A recommendation engine of its own for one model version: its index, its blends, no list cache. */
interface Engine {
  recs: RecommendationsService;
  index: PinnedIndex;
  cache: RecommendationCache;
}

interface Entry {
  engine?: Engine;
  building?: Promise<Engine>;
  /** The served index when `engine` was built: a newer one means items were added or changed since. */
  builtFor?: VectorIndex;
}

/** How long a replaced engine stays usable for requests that already hold it. */
const RETIRE_AFTER_MS = 60_000;
/** How often engines of versions nothing serves by name any more are let go. */
const RETAIN_EVERY_MS = 60_000;

/**
 * Engines for model versions served by name, beside the engine of the active version: the same
 * RecommendationsService code over the version's own projected index and blends. An engine is built on first
 * use (the creation of an experiment or a placement pinned to a version asks for it at once, so shoppers
 * rarely wait for it) and rebuilt in the background whenever the served index is replaced (a reindex added
 * or changed items), the previous engine serving meanwhile.
 */
@Injectable()
export class PinnedEngines implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('PinnedEngines');
  private readonly entries = new Map<string, Entry>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private retainTimer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly models: PinnedModels,
    private readonly index: IndexService,
    private readonly snapshot: CatalogSnapshot,
    private readonly items: ItemsRepository,
    private readonly embeddings: EmbeddingsService,
    private readonly profiles: ProfileService,
    private readonly interactions: PurchaseSignalsService,
    private readonly users: UserChanges,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly exposure: NewArrivalExposure,
    private readonly learning: LearningEvents,
    private readonly clock: ShopClock,
  ) {}

  onModuleInit(): void {
    this.retainTimer = setInterval(() => {
      if (this.entries.size === 0) return;
      this.db
        .query(`SELECT version FROM pinned_model_versions WHERE version IS NOT NULL`)
        .then((rows: Array<{ version: string }>) => this.retain(new Set(rows.map((r) => r.version))))
        .catch((e: unknown) => this.logger.warn(`pinned versions check failed: ${(e as Error).message}`));
    }, RETAIN_EVERY_MS);
    this.retainTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.retainTimer);
    for (const t of this.timers) clearTimeout(t);
    for (const e of this.entries.values()) if (e.engine) this.dispose(e.engine);
    this.entries.clear();
  }

  /** The engine serving `version` (a 404/409 problem when the version cannot be served). */
  async engine(version: string): Promise<RecommendationsService> {
    let entry = this.entries.get(version);
    if (!entry) this.entries.set(version, (entry = {}));
    const served = this.index.current();
    if (entry.engine) {
      if (entry.builtFor !== served && !entry.building)
        void this.rebuild(version, entry).catch(() => undefined);
      return entry.engine.recs;
    }
    return (await (entry.building ?? this.rebuild(version, entry))).recs;
  }

  /** Drops the engines of versions no longer served by name (`pinned_model_versions`). */
  retain(versions: ReadonlySet<string>): void {
    for (const [version, entry] of this.entries) {
      if (versions.has(version)) continue;
      this.entries.delete(version);
      this.models.release(version);
      if (entry.engine) this.retire(entry.engine);
    }
  }

  private rebuild(version: string, entry: Entry): Promise<Engine> {
    const builtFor = this.index.current();
    const building = this.build(version);
    entry.building = building;
    building.then(
      (engine) => {
        if (this.entries.get(version) !== entry) return this.dispose(engine);
        const previous = entry.engine;
        Object.assign(entry, { engine, builtFor, building: undefined });
        if (previous) this.retire(previous);
      },
      (e: unknown) => {
        entry.building = undefined;
        if (!entry.engine) this.entries.delete(version);
        this.logger.warn(`model version ${version} cannot be served: ${(e as Error).message}`);
      },
    );
    return building;
  }

  private async build(version: string): Promise<Engine> {
    const started = Date.now();
    const pinned = await this.models.load(version);
    const index = await this.index.buildPinned(pinned.served.projection!, pinned.encoderId);
    const serving = new ServingModel();
    serving.publish(pinned.served);
    // A pinned version's lists are computed afresh: the shared cache is keyed by the active version's inputs.
    const cache = new RecommendationCache({ ...this.config, recsCacheTtlMs: 0 }, this.users);
    const recs = new RecommendationsService(
      index,
      this.snapshot,
      this.items,
      this.embeddings,
      this.profiles,
      this.interactions,
      cache,
      serving,
      this.config,
      this.exposure,
      this.learning,
      this.clock,
    );
    this.logger.log(`model version ${version} ready beside the active one (${Date.now() - started} ms)`);
    return { recs, index, cache };
  }

  private retire(engine: Engine): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.dispose(engine);
    }, RETIRE_AFTER_MS);
    t.unref();
    this.timers.add(t);
  }

  private dispose(engine: Engine): void {
    // Its lists follow the shared catalog snapshot, which would otherwise keep the engine (and its held sets) alive.
    engine.recs.detach();
    engine.cache.onModuleDestroy();
    engine.index.dispose();
  }
}
