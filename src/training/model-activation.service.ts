import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Subscription } from 'rxjs';
import type { DataSource } from 'typeorm';
import { ProblemException } from '../common/problem';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { acquire, release } from '../database/advisory-lock';
import { AdvisoryLock } from '../database/locks';
import { LONG_RUNNING_SERVER } from '../common/long-running-server';
import { DEFAULT_BLEND, storedBlend } from '../ranking/blend';
import { storedSimilarBlend } from '../ranking/similar-ranking';
import { DEFAULT_SESSION_BLEND, storedSessionBlend } from '../ranking/session-ranking';
import { ServingModel, type ServedModel } from '../serving-model/serving-model';
import { CHANNELS } from '../sync/change-channels';
import { ChangeFeed } from '../sync/change-feed';
import { IndexReconciler } from '../vector-index/index-reconciler';
import { IndexService } from '../vector-index/index.service';
import type { VectorProjection } from '../vector-index/projection';
import { ModelVersionsRepository } from './model-versions.repository';
import { ProjectionModel } from './model/projection-model';

export interface ServedBlends extends Pick<
  ServedModel,
  'blend' | 'discoveryBlend' | 'similarBlend' | 'sessionBlend'
> {
  modelVersion: string;
  source: 'version' | 'retuned' | 'defaults';
  retunedAt: string | null;
}

export interface ActiveModel {
  version: string;
  model: ProjectionModel;
}

/** What activation uses of each collaborator: narrow ports, so a spec can fake them by hand. */
export type ActivationVersions = Pick<
  ModelVersionsRepository,
  'active' | 'activeVersion' | 'find' | 'markActive' | 'retunedBlends'
>;
export type ActivationIndex = Pick<IndexService, 'rebuild' | 'syncFromDisk' | 'refreshProjection'>;
export type ActivationReconciler = Pick<IndexReconciler, 'reconcileIndex'>;
export type ActivationDatabase = Pick<DataSource, 'createQueryRunner'>;

export const projectionOf = (version: string, model: ProjectionModel): VectorProjection => ({
  version,
  dimension: model.dim,
  inputDimension: model.inputDim,
  project: (id, x) => model.projectItem(x, id),
});

/**
 * Which fine-tuned version is active in this process: activation (re-project, rebuild and swap the index,
 * mark the version, publish it to the serving model) and following the versions other processes activate.
 */
@Injectable()
export class ModelActivationService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Training');
  private active: ActiveModel | undefined;
  /** The params the active model (or the raw vectors) was published with, and the re-tune they include. */
  private adopted: { params: Record<string, unknown>; retunedAt: string | null } = {
    params: {},
    retunedAt: null,
  };
  private sync: NodeJS.Timeout | undefined;
  private syncing: Promise<unknown> = Promise.resolve();
  private readonly subs: Subscription[] = [];

  constructor(
    @InjectDataSource() private readonly db: ActivationDatabase,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ModelVersionsRepository) private readonly versions: ActivationVersions,
    @Inject(IndexService) private readonly index: ActivationIndex,
    @Inject(IndexReconciler) private readonly reconciler: ActivationReconciler,
    private readonly servingModel: ServingModel,
    @Inject(LONG_RUNNING_SERVER) private readonly polling: boolean,
    @Optional() private readonly feed?: ChangeFeed,
  ) {}

  onModuleDestroy(): void {
    for (const sub of this.subs) sub.unsubscribe();
    if (this.sync) clearInterval(this.sync);
  }

  async onModuleInit(): Promise<void> {
    // The active model is loaded here, not at bootstrap: the index loads its file in its own
    // onApplicationBootstrap, which runs before ours, and must project queries with this model, not raw.
    const row = await this.versions.active();
    if (row?.weights) this.active = { version: row.version, model: ProjectionModel.fromBuffer(row.weights) };
    await this.adoptBlends(row?.weights ? row.params : {});
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.polling) return;
    await this.reconciler.reconcileIndex();
    // A fine-tune or reindex run by another process (the nightly `aisle finetune`, another replica) changes the
    // active version and the published index; servers pick both up when the change feed announces them, after
    // the feed reconnects, and — a safety net should a notification go astray — every SYNC_INTERVAL_MS.
    const follow = () => {
      this.syncSerially().catch((e: unknown) =>
        this.logger.error(`model sync failed: ${(e as Error).message}`),
      );
    };
    if (this.feed)
      this.subs.push(
        this.feed.on(CHANNELS.model).subscribe(follow),
        this.feed.on(CHANNELS.index).subscribe(follow),
        this.feed.resync$.subscribe(follow),
      );
    this.sync = setInterval(follow, this.config.syncIntervalMs);
    this.sync.unref();
  }

  /**
   * The blends serving now: the active version's own (`version`), or those re-tuned for it by a later fine-tune
   * whose candidate lost the gate (`retuned`, with when); the raw text vectors' defaults (`defaults`).
   */
  servedBlends(): ServedBlends {
    const m = this.servingModel.current();
    return {
      modelVersion: m.version ?? 'raw',
      source: this.adopted.retunedAt ? 'retuned' : this.active ? 'version' : 'defaults',
      retunedAt: this.adopted.retunedAt,
      blend: m.blend,
      discoveryBlend: m.discoveryBlend,
      similarBlend: m.similarBlend,
      sessionBlend: m.sessionBlend,
    };
  }

  activeVersion(): string | null {
    return this.active?.version ?? null;
  }

  activeModel(): ActiveModel | undefined {
    return this.active;
  }

  /**
   * Adopts what other processes changed (see syncWithStore), one sync at a time and in order with this process's
   * own activations: a slow one must never adopt an older state over a newer one.
   */
  syncSerially(): Promise<void> {
    return this.serially(() => this.syncWithStore());
  }

  /**
   * Model changes of this process (activations) and adoptions of other processes' changes run one at a time:
   * a sync that read the version table before an activation marked its version must not adopt that stale row
   * after the activation has finished.
   */
  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.syncing.then(fn);
    this.syncing = next.catch(() => undefined);
    return next;
  }

  /** Adopts the active model version and the published index if another process changed them. */
  async syncWithStore(): Promise<void> {
    // The version alone first: the weights (a few hundred KB of bytea, ~100 ms of main thread to parse on a slow
    // core) are read only when another process activated a version this one does not serve, not at every sync.
    const version = await this.versions.activeVersion();
    const row =
      version !== null && version !== this.active?.version ? await this.versions.find(version) : null;
    const modelChanged = !!row?.weights;
    if (row?.weights) {
      this.active = { version: row.version, model: ProjectionModel.fromBuffer(row.weights) };
      await this.adoptBlends(row.params);
      this.logger.log(`adopted model version ${row.version} activated elsewhere`);
    } else await this.adoptRetuned();
    await this.index.syncFromDisk();
    // An activation publishes its index before it marks the version active, so the index may have been adopted
    // (with the then-active projection) before the model: queries must now be projected with the new one.
    if (modelChanged) this.index.refreshProjection();
    await this.reconciler.reconcileIndex();
  }

  /** Re-projects every item with `version`, rebuilds and swaps the index, then marks the version active. */
  async activate(
    version: string,
    progress: (done: number, total: number) => void = () => undefined,
  ): Promise<void> {
    const row = await this.versions.find(version);
    if (!row) throw new ProblemException(404, `Model version "${version}" not found`);
    if (!row.weights)
      throw new ProblemException(409, `Model version "${version}" has no weights (rejected or pruned)`);
    const model = ProjectionModel.fromBuffer(row.weights);
    await this.serially(async () => {
      const runner = this.db.createQueryRunner();
      await runner.connect();
      try {
        await acquire(runner, AdvisoryLock.IndexActivation);
        await this.index.rebuild(progress, projectionOf(version, model));
        await this.versions.markActive(version);
        this.active = { version, model };
        await this.adoptBlends(row.params);
      } finally {
        await release(runner, AdvisoryLock.IndexActivation);
        await runner.release();
      }
    });
  }

  /**
   * Publishes the active model (just set; none: the raw text vectors) to everything that serves, with the blends
   * stored beside it (`params`) or, when a later fine-tune re-tuned them for it, those.
   */
  private async adoptBlends(params: Record<string, unknown>): Promise<void> {
    const retuned = await this.versions.retunedBlends(this.active?.version ?? null);
    this.adopted = { params, retunedAt: retuned?.tunedAt ?? null };
    this.publish(retuned?.params);
  }

  /**
   * Adopts blends re-tuned for the model in service since it was published (a fine-tune whose candidate lost the
   * gate, in this process or another); nothing when there are none.
   */
  adoptRetunedBlends(): Promise<void> {
    return this.serially(() => this.adoptRetuned());
  }

  private async adoptRetuned(): Promise<void> {
    const retuned = await this.versions.retunedBlends(this.active?.version ?? null);
    if (!retuned || retuned.tunedAt === this.adopted.retunedAt) return;
    this.adopted = { ...this.adopted, retunedAt: retuned.tunedAt };
    this.publish(retuned.params);
    this.logger.log(`adopted blends re-tuned for ${this.active?.version ?? 'the raw text vectors'}`);
  }

  private publish(retuned: Record<string, unknown> | undefined): void {
    const params = { ...this.adopted.params, ...retuned };
    const active = this.active;
    this.servingModel.publish(
      active ? servedModelOf(active.version, active.model, params) : rawServedModel(params),
    );
  }
}

/**
 * The raw text vectors as they serve: no projection, the blends in `params` (re-tuned for them), the defaults for
 * any missing (versions stored before the session blend was tuned serve its defaults, too).
 */
export function rawServedModel(params: Record<string, unknown>): ServedModel {
  const blend = storedBlend(params.blend, DEFAULT_BLEND);
  return {
    version: null,
    projection: undefined,
    blend,
    discoveryBlend: storedBlend(params.discoveryBlend, blend),
    similarBlend: storedSimilarBlend(params.similarBlend),
    sessionBlend: storedSessionBlend(params.sessionBlend, DEFAULT_SESSION_BLEND),
  };
}

/** A stored version as it serves: its projection and the blends tuned with it (the defaults when none were). */
export function servedModelOf(
  version: string,
  model: ProjectionModel,
  params: Record<string, unknown>,
): ServedModel & { version: string } {
  return { ...rawServedModel(params), version, projection: projectionOf(version, model) };
}
