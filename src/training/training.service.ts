import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ProblemException } from '../common/problem';
import { tryLock, withLock } from '../database/advisory-lock';
import { AdvisoryLock } from '../database/locks';
import { normalizeRows } from '../common/vectors';
import { EmbeddingsService } from '../embeddings/embeddings.service';
import { CronJob } from 'cron';
import { COPURCHASE, CopurchaseJob, type CopurchaseResult } from '../copurchase/copurchase.job';
import { LONG_RUNNING_SERVER } from '../common/long-running-server';
import { JobsService } from '../jobs/jobs.service';
import { DEFAULT_BLEND, storedBlend } from '../ranking/blend';
import { ServingModel } from '../serving-model/serving-model';
import { IndexService } from '../vector-index/index.service';
import { rawProjection, type VectorProjection } from '../vector-index/projection';
import { REINDEX } from '../vector-index/reindex.job';
import { CHANNELS } from '../sync/change-channels';
import { ChangeFeed } from '../sync/change-feed';
import { buildTrainingPairs, type Interaction } from './model/training-pairs';
import { ProjectionModel } from './model/projection-model';
import { trainInWorker, tuneInWorker, type BackgroundRun } from './training-workers';
import { ModelVersionsRepository } from './model-versions.repository';

export const FINETUNE = 'finetune';
export const ACTIVATE = 'activate';
const MAX_TUNING_CASES = 1500;

export interface FinetuneResult extends Record<string, unknown> {
  version: string;
  activated: boolean;
  reason: string;
  metrics: Record<string, unknown>;
  /** Training options and the tuned blends (what GET /v1/admin/models lists as the version's params). */
  params: Record<string, unknown>;
}

const projectionOf = (version: string, model: ProjectionModel): VectorProjection => ({
  version,
  dimension: model.dim,
  project: (id, x) => model.projectItem(x, id),
});

/**
 * The nightly fine-tune: trains a projection of the text vectors on the shop's own interactions, gates it
 * against the model in service on a held-out validation window, and — when it is better — re-projects every
 * item, rebuilds the index and swaps both in, with the score blend re-tuned for it.
 */
@Injectable()
export class TrainingService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Training');
  private active: { version: string; model: ProjectionModel } | undefined;
  private cron: CronJob | undefined;
  private sync: NodeJS.Timeout | undefined;
  private syncing: Promise<unknown> = Promise.resolve();
  private readonly subs: Subscription[] = [];

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly versions: ModelVersionsRepository,
    private readonly embeddings: EmbeddingsService,
    private readonly index: IndexService,
    private readonly servingModel: ServingModel,
    private readonly jobs: JobsService,
    private readonly copurchase: CopurchaseJob,
    @Inject(LONG_RUNNING_SERVER) private readonly polling: boolean,
    @Optional() private readonly feed?: ChangeFeed,
  ) {}

  onModuleDestroy(): void {
    for (const sub of this.subs) sub.unsubscribe();
    if (this.sync) clearInterval(this.sync);
    void this.cron?.stop();
  }

  async onModuleInit(): Promise<void> {
    // The active model is loaded here, not at bootstrap: the index loads its file in its own
    // onApplicationBootstrap, which runs before ours, and must project queries with this model, not raw.
    const row = await this.versions.active();
    if (row?.weights) {
      this.active = { version: row.version, model: ProjectionModel.fromBuffer(row.weights) };
      this.adoptBlends(row.params);
    }
    this.jobs.register(
      FINETUNE,
      ({ job, progress }) =>
        this.nightly({
          now: typeof job.params.now === 'string' ? new Date(job.params.now) : undefined,
          copurchase: job.params.copurchase !== false,
          progress,
        }),
      'training',
    );
    this.jobs.register(
      ACTIVATE,
      async ({ job, progress }) => {
        const version = String(job.params.version);
        await this.activate(version, progress);
        return { version };
      },
      'training',
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.polling) await this.reconcileIndex();
    if (this.polling) {
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
    if (this.polling && this.config.finetuneCron) {
      // The schedule only enqueues; whichever replica claims the job does the work (one at a time, by lock).
      this.cron = CronJob.from({
        cronTime: this.config.finetuneCron,
        onTick: () => {
          this.jobs
            .enqueue(FINETUNE, {})
            .catch((e: unknown) =>
              this.logger.error(`could not queue the fine-tune: ${(e as Error).message}`),
            );
        },
        start: true,
      });
      this.logger.log(`fine-tune scheduled: ${this.config.finetuneCron}`);
    }
  }

  /** One sync at a time, in order: a slow one must never adopt an older state over a newer one. */
  private syncSerially(): Promise<void> {
    const next = this.syncing.then(() => this.syncWithStore());
    this.syncing = next.catch(() => undefined);
    return next;
  }

  /** Adopts the active model version and the published index if another process changed them. */
  async syncWithStore(): Promise<void> {
    const row = await this.versions.active();
    const modelChanged = !!row?.weights && row.version !== this.active?.version;
    if (row?.weights && modelChanged) {
      this.active = { version: row.version, model: ProjectionModel.fromBuffer(row.weights) };
      this.adoptBlends(row.params);
      this.logger.log(`adopted model version ${row.version} activated elsewhere`);
    }
    await this.index.syncFromDisk();
    // An activation publishes its index before it marks the version active, so the index may have been adopted
    // (with the then-active projection) before the model: queries must now be projected with the new one.
    if (modelChanged) this.index.refreshProjection();
    await this.reconcileIndex();
  }

  private reconcileQueuedFor: string | undefined;

  /**
   * Queues a rebuild when the served index was built for another model than the active one: a process that
   * died between publishing an activation's index and marking the version active leaves exactly that, and
   * queries projected with one model against item vectors of another rank nonsense.
   */
  private async reconcileIndex(): Promise<void> {
    const served = this.index.current()?.info.modelVersion;
    const wanted = this.active?.version ?? rawProjection(1).version;
    if (served === undefined || served === wanted) {
      this.reconcileQueuedFor = undefined;
      return;
    }
    if (this.reconcileQueuedFor === served) return;
    // A live activation holds the lock between its publish and its mark: that is not a mismatch (yet).
    const free = await tryLock(this.db, AdvisoryLock.IndexActivation, () => Promise.resolve());
    if (!free.held) return;
    this.logger.warn(
      `the served index was built for model ${served} but ${wanted} is active: queueing a rebuild for ${wanted}`,
    );
    this.reconcileQueuedFor = served;
    await this.jobs.enqueue(REINDEX, { full: false });
  }

  /** Publishes the active model (just set) with the blends stored beside it to everything that serves. */
  private adoptBlends(params: Record<string, unknown>): void {
    const blend = storedBlend(params.blend, DEFAULT_BLEND);
    const active = this.active!;
    this.servingModel.publish({
      version: active.version,
      projection: projectionOf(active.version, active.model),
      blend,
      discoveryBlend: storedBlend(params.discoveryBlend, blend),
    });
  }

  activeVersion(): string | null {
    return this.active?.version ?? null;
  }

  /** Loads interactions before `now` in time order, with the configured event-type weights. */
  private async interactions(now: Date): Promise<Interaction[]> {
    const rows: Array<{ user_id: string; item_id: string; type: string; occurred_at: Date }> =
      await this.db.query(
        `SELECT e.user_id, e.item_id, e.type, e.occurred_at FROM events e
       JOIN items i ON i.id = e.item_id AND i.deleted_at IS NULL
       WHERE e.occurred_at < $1 AND e.type IN ('purchase', 'add_to_cart', 'view')
       ORDER BY e.occurred_at, e.id`,
        [now.toISOString()],
      );
    const w = this.config.eventWeights;
    return rows.map((r) => ({
      userId: r.user_id,
      itemId: r.item_id,
      timestamp: r.occurred_at,
      weight:
        r.type === 'purchase'
          ? 1
          : r.type === 'add_to_cart'
            ? Math.min(w.add_to_cart, 0.99)
            : Math.min(w.view, 0.99),
    }));
  }

  /**
   * The fine-tune job, whichever way it was queued (`aisle finetune`, POST /v1/admin/finetune, FINETUNE_CRON):
   * rebuild the co-purchase neighbours, embed the items that have no text vector yet (a catalog just loaded
   * needs no reindex first), then train, gate and activate. A failed co-purchase rebuild still lets the
   * training run, and still fails the job, so a nightly cron notices.
   */
  async nightly(opts: {
    now?: Date;
    copurchase: boolean;
    progress?: (done: number, total: number) => void;
  }): Promise<FinetuneResult & { copurchase?: CopurchaseResult; embedded: number }> {
    const progress = opts.progress ?? (() => undefined);
    let copurchase: CopurchaseResult | Error | undefined;
    if (opts.copurchase) {
      copurchase = await this.jobs
        .underKindLock(COPURCHASE, () => this.copurchase.compute(opts.now ?? new Date(), null, progress))
        .catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    }
    // Under the reindex's lock: a reindex embedding the same items at the same time would do the work twice.
    const embedded = await this.jobs.underKindLock(REINDEX, () =>
      this.embeddings.embedCatalog({ full: false }, progress),
    );
    const result = await this.finetune({ now: opts.now, progress });
    if (copurchase instanceof Error)
      throw new Error(
        `co-purchase rebuild failed: ${copurchase.message} (the fine-tune ran: version ${result.version}, activated ${result.activated})`,
      );
    return { ...result, embedded: embedded.embedded, ...(copurchase ? { copurchase } : {}) };
  }

  async finetune(
    opts: { now?: Date; progress?: (done: number, total: number) => void } = {},
  ): Promise<FinetuneResult> {
    const now = opts.now ?? (await this.trainingClock());
    const progress = opts.progress ?? (() => undefined);
    const cfg = this.config.finetune;
    const started = Date.now();
    const { encoderId, vectors } = await this.embeddings.catalogVectors();
    const itemIds = [...vectors.keys()].sort();
    if (itemIds.length === 0) throw new Error('the catalog has no items to learn from');
    const inputDim = vectors.get(itemIds[0])!.length;
    const textVectors = new Float32Array(itemIds.length * inputDim);
    itemIds.forEach((id, i) => textVectors.set(vectors.get(id)!, i * inputDim));
    const interactions = await this.interactions(now);
    const purchases = interactions.filter((e) => (e.weight ?? 1) >= 1);
    if (purchases.length === 0) throw new Error('no purchase events to learn from');

    const trainOpts = {
      dim: cfg.dim,
      epochs: cfg.epochs,
      seed: cfg.seed,
      learningRateEnd: cfg.learningRateEnd,
      batchSize: cfg.batchSize,
    };
    const pairsFor = (validationDays: number) =>
      buildTrainingPairs(interactions, itemIds, {
        validationDays,
        now,
        halfLifeDays: this.config.profileHalfLifeDays,
      });
    const hold = pairsFor(cfg.validationDays);
    // Choices are made on the held-out window; the model that serves also learns from it. That second model
    // does not depend on the first, so by default it trains on another core while the first trains and is
    // gated, and is thrown away if the gate refuses. Training runs in worker threads either way: a server
    // running this job keeps answering requests.
    const full = cfg.retrainFull ? pairsFor(0) : undefined;
    const fractions = { hold: 0, full: 0 };
    // One progress bar: training (both models) takes two thirds, activation the rest.
    const report = (activation: number) => {
      const training = full ? (fractions.hold + fractions.full) / 2 : fractions.hold;
      progress(Math.round(2000 * training + 1000 * activation), 3000);
    };
    const trainFull = () =>
      trainInWorker({ itemIds, textVectors, pairs: full! }, trainOpts, (p) => {
        fractions.full = p.step / p.totalSteps;
        report(0);
      });
    const runs: Array<BackgroundRun<unknown>> = [];
    const background = <T>(run: BackgroundRun<T>): BackgroundRun<T> => {
      runs.push(run);
      return run;
    };
    const fullEarly = full && cfg.parallel ? background(trainFull()) : undefined;
    try {
      const first = await background(
        trainInWorker({ itemIds, textVectors, pairs: hold }, trainOpts, (p) => {
          fractions.hold = p.step / p.totalSteps;
          report(0);
        }),
      ).result;
      const validationStart = new Date(hold.validationStart);

      // The gate: candidate vs the model in service, both with their blend tuned on the same validation
      // baskets (in parallel, each in its own thread).
      const users = this.validationCases(purchases, interactions, itemIds, validationStart);
      const gate = (projected: Float32Array, dim: number, tau: number) =>
        background(
          tuneInWorker({
            users,
            projected,
            dim,
            tau,
            itemIds,
            history: purchases.filter((e) => e.timestamp < validationStart),
            at: validationStart,
            halfLifeDays: this.config.profileHalfLifeDays,
            repeatHalfLifeDays: this.config.recsRepeatHalfLifeDays,
            newItemSlots: this.config.recsNewItemSlots,
          }),
        ).result;
      const [candidate, current] = await Promise.all([
        gate(first.model.projectAll(itemIds, textVectors), first.model.dim, first.model.tau),
        this.active
          ? gate(
              this.active.model.projectAll(itemIds, textVectors),
              this.active.model.dim,
              this.active.model.tau,
            )
          : gate(normalizeRows(textVectors, inputDim), inputDim, 0.1),
      ]);
      const version = `ft-${now.toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${Date.now().toString(36)}`;
      const metrics: Record<string, unknown> = {
        validationCases: users.length,
        validationNdcg: candidate.ndcg,
        activeValidationNdcg: current.ndcg,
        activeVersion: this.active?.version ?? 'raw',
        initialValidationLoss: first.initialValidationLoss,
        epochs: first.epochs,
        trainPairs: hold.train.target.length,
        validationPairs: hold.validation.target.length,
      };
      const params = { blend: candidate.weights, discoveryBlend: candidate.discoveryWeights, ...trainOpts };
      const accepted = users.length > 0 && candidate.ndcg >= current.ndcg + cfg.minGain;
      if (!accepted) {
        await this.versions.insert({
          version,
          encoderId,
          status: 'rejected',
          metrics,
          params,
          weights: null,
        });
        const reason = `validation NDCG@10 ${candidate.ndcg.toFixed(4)} does not beat the active model's ${current.ndcg.toFixed(4)} by ${cfg.minGain}`;
        this.logger.warn(`fine-tune rejected: ${reason}`);
        return {
          version,
          activated: false,
          reason,
          metrics: { ...metrics, seconds: (Date.now() - started) / 1000 },
          params,
        };
      }
      const model = full ? (await (fullEarly ?? background(trainFull())).result).model : first.model;
      metrics.trainSeconds = (Date.now() - started) / 1000;
      await this.versions.insert({
        version,
        encoderId,
        status: 'candidate',
        metrics,
        params,
        weights: model.toBuffer(),
      });
      await this.activate(version, (d, t) => report(d / Math.max(1, t)));
      await this.versions.prune(cfg.keepVersions);
      metrics.seconds = (Date.now() - started) / 1000;
      return {
        version,
        activated: true,
        reason: 'better than the active model on the validation window',
        metrics,
        params,
      };
    } finally {
      // A refused gate or a failure must not leave threads training for nothing.
      await Promise.all(runs.map((r) => r.cancel()));
    }
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
    await withLock(this.db, AdvisoryLock.IndexActivation, async () => {
      await this.index.rebuild(progress, projectionOf(version, model));
      await this.versions.markActive(version);
      this.active = { version, model };
      this.adoptBlends(row.params);
    });
  }

  /**
   * "Now" for a nightly run: the wall clock, or just after the latest purchase when purchases stopped coming
   * earlier (imported history, a paused feed, a quiet week). The validation window is the last days before
   * "now"; an empty one would leave the gate nothing to compare and reject every candidate.
   */
  private async trainingClock(): Promise<Date> {
    const rows: Array<{ latest: Date | null }> = await this.db.query(
      `SELECT max(occurred_at) AS latest FROM events WHERE type = 'purchase'`,
    );
    const latest = rows[0]?.latest;
    const wall = new Date();
    if (!latest || latest.getTime() >= wall.getTime()) return wall;
    const clock = new Date(latest.getTime() + 1);
    if (wall.getTime() - clock.getTime() > 86_400_000)
      this.logger.log(`no purchases since ${latest.toISOString()}: training as of then`);
    return clock;
  }

  /** Validation baskets as in the offline protocol: each user's first basket in the window, asked at its start. */
  private validationCases(
    purchases: Interaction[],
    all: Interaction[],
    itemIds: string[],
    start: Date,
  ): Array<{ userId: string; targets: Set<string> }> {
    const known = new Set(itemIds);
    const first = new Map<string, { at: number; targets: Set<string> }>();
    for (const e of purchases) {
      if (e.timestamp < start || !known.has(e.itemId)) continue;
      const t = e.timestamp.getTime();
      const f = first.get(e.userId);
      if (!f || t < f.at) first.set(e.userId, { at: t, targets: new Set([e.itemId]) });
      else if (t === f.at) f.targets.add(e.itemId);
    }
    const hasHistory = new Set(all.filter((e) => e.timestamp < start).map((e) => e.userId));
    const cases = [...first.entries()]
      .filter(([u]) => hasHistory.has(u))
      .sort((a, b) => (a[0] < b[0] ? -1 : 1));
    // An even sample keeps tuning time bounded on large shops.
    const step = Math.max(1, Math.ceil(cases.length / MAX_TUNING_CASES));
    return cases.filter((_, i) => i % step === 0).map(([userId, f]) => ({ userId, targets: f.targets }));
  }
}
