import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ProblemException } from '../common/problem';
import { EmbeddingsService } from '../embeddings/embeddings.service';
import { CronJob } from 'cron';
import { JOBS_POLLING, JobsService } from '../jobs/jobs.service';
import { DEFAULT_BLEND, type BlendWeights } from '../recommendations/blend';
import { InteractionModel } from '../recommendations/interaction-model';
import {
  HISTORY_CAP,
  KNN_CANDIDATES,
  POPULAR_CANDIDATES,
  RecommendationsService,
  VECTOR_CANDIDATES,
} from '../recommendations/recommendations.service';
import { IndexService } from '../vector-index/index.service';
import { rawProjection, type VectorProjection } from '../vector-index/projection';
import { REINDEX } from '../vector-index/reindex.job';
import { tuneBlend, type BlendCase } from './blend-tuning';
import {
  buildTrainingPairs,
  contextWeight,
  type Interaction,
  type TrainingPairs,
} from './model/training-pairs';
import { ProjectionModel } from './model/projection-model';
import { train, type TrainResult } from './model/trainer';
import { trainInWorker } from './model/train-in-worker';
import { ModelVersionsRepository } from './model-versions.repository';

export const FINETUNE = 'finetune';
export const ACTIVATE = 'activate';
/** Serialises everything that re-projects and publishes the index (fine-tune activation, rollback). */
const INDEX_LOCK = 0x41495358;
const DAY_MS = 86_400_000;
const MAX_TUNING_CASES = 1500;

export interface FinetuneResult extends Record<string, unknown> {
  version: string;
  activated: boolean;
  reason: string;
  metrics: Record<string, unknown>;
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

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly versions: ModelVersionsRepository,
    private readonly embeddings: EmbeddingsService,
    private readonly index: IndexService,
    private readonly recs: RecommendationsService,
    private readonly jobs: JobsService,
    @Inject(JOBS_POLLING) private readonly polling: boolean,
  ) {}

  onModuleDestroy(): void {
    if (this.sync) clearInterval(this.sync);
    void this.cron?.stop();
  }

  async onModuleInit(): Promise<void> {
    // The active model is loaded here, not at bootstrap: the index loads its file in its own
    // onApplicationBootstrap, which runs before ours, and must project queries with this model, not raw.
    const row = await this.versions.active();
    if (row?.weights) {
      this.active = { version: row.version, model: ProjectionModel.fromBuffer(row.weights) };
      this.recs.blend = (row.params.blend as BlendWeights | undefined) ?? DEFAULT_BLEND;
      this.recs.discoveryBlend = (row.params.discoveryBlend as BlendWeights | undefined) ?? this.recs.blend;
    }
    this.index.setProjectionSource(() =>
      Promise.resolve(this.active ? projectionOf(this.active.version, this.active.model) : undefined),
    );
    this.jobs.register(FINETUNE, ({ job, progress }) =>
      this.finetune({
        now: typeof job.params.now === 'string' ? new Date(job.params.now) : undefined,
        progress,
      }),
    );
    this.jobs.register(ACTIVATE, async ({ job, progress }) => {
      const version = String(job.params.version);
      await this.activate(version, progress);
      return { version };
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.polling) await this.reconcileIndex();
    if (this.polling) {
      // A fine-tune or reindex run by another process (the nightly `aisle finetune`, another replica) changes the
      // active version and the published index; servers pick both up here instead of at their next restart.
      this.sync = setInterval(() => {
        this.syncWithStore().catch((e: unknown) =>
          this.logger.error(`model sync failed: ${(e as Error).message}`),
        );
      }, this.config.syncIntervalMs);
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

  /** Adopts the active model version and the published index if another process changed them. */
  async syncWithStore(): Promise<void> {
    const row = await this.versions.active();
    if (row?.weights && row.version !== this.active?.version) {
      this.active = { version: row.version, model: ProjectionModel.fromBuffer(row.weights) };
      this.recs.blend = (row.params.blend as BlendWeights | undefined) ?? DEFAULT_BLEND;
      this.recs.discoveryBlend = (row.params.discoveryBlend as BlendWeights | undefined) ?? this.recs.blend;
      this.logger.log(`adopted model version ${row.version} activated elsewhere`);
    }
    await this.index.syncFromDisk();
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
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      const rows = (await runner.query('SELECT pg_try_advisory_lock($1) AS ok', [INDEX_LOCK])) as Array<{
        ok: boolean;
      }>;
      if (rows[0]?.ok !== true) return;
      await runner.query('SELECT pg_advisory_unlock($1)', [INDEX_LOCK]);
    } finally {
      await runner.release();
    }
    this.logger.warn(
      `the served index was built for model ${served} but ${wanted} is active: queueing a rebuild for ${wanted}`,
    );
    this.reconcileQueuedFor = served;
    await this.jobs.enqueue(REINDEX, { full: false });
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

  async finetune(
    opts: { now?: Date; progress?: (done: number, total: number) => void } = {},
  ): Promise<FinetuneResult> {
    const now = opts.now ?? (await this.trainingClock());
    const progress = opts.progress ?? (() => undefined);
    const cfg = this.config.finetune;
    const started = Date.now();
    const { encoderId, vectors } = await this.embeddings.catalogVectors();
    const itemIds = [...vectors.keys()].sort();
    if (itemIds.length === 0) throw new Error('the catalog has no embedded items: run a reindex first');
    const inputDim = vectors.get(itemIds[0])!.length;
    const textVectors = new Float32Array(itemIds.length * inputDim);
    itemIds.forEach((id, i) => textVectors.set(vectors.get(id)!, i * inputDim));
    const interactions = await this.interactions(now);
    const purchases = interactions.filter((e) => (e.weight ?? 1) >= 1);
    if (purchases.length === 0) throw new Error('no purchase events to learn from');

    const hold = buildTrainingPairs(interactions, itemIds, {
      validationDays: cfg.validationDays,
      now,
      halfLifeDays: this.config.profileHalfLifeDays,
    });
    const trainOpts = {
      dim: cfg.dim,
      epochs: cfg.epochs,
      seed: cfg.seed,
      learningRateEnd: cfg.learningRateEnd,
      batchSize: cfg.batchSize,
    };
    // Choices are made on the held-out window; the model that serves also learns from it. That second model
    // does not depend on the first, so by default it trains on another core while the first trains and is
    // gated, and is thrown away if the gate refuses.
    const full = cfg.retrainFull
      ? buildTrainingPairs(interactions, itemIds, {
          validationDays: 0,
          now,
          halfLifeDays: this.config.profileHalfLifeDays,
        })
      : undefined;
    const fractions = { hold: 0, full: 0 };
    // One progress bar: training (both models) takes two thirds, activation the rest.
    const report = (activation: number) => {
      const training = full ? (fractions.hold + fractions.full) / 2 : fractions.hold;
      progress(Math.round(2000 * training + 1000 * activation), 3000);
    };
    const background =
      full && cfg.parallel
        ? trainInWorker({ data: { itemIds, textVectors, pairs: full }, options: trainOpts }, (p) => {
            fractions.full = p.step / p.totalSteps;
            report(0);
          })
        : undefined;
    try {
      return await this.gateAndActivate({
        started,
        now,
        encoderId,
        itemIds,
        textVectors,
        interactions,
        purchases,
        hold,
        trainOpts,
        trainFull: full
          ? () =>
              background
                ? background.result
                : train({ itemIds, textVectors, pairs: full }, trainOpts, (p) => {
                    fractions.full = p.step / p.totalSteps;
                    report(0);
                  })
          : undefined,
        onHoldProgress: (frac) => {
          fractions.hold = frac;
          report(0);
        },
        onActivateProgress: (frac) => report(frac),
      });
    } finally {
      await background?.cancel();
    }
  }

  private async gateAndActivate(run: {
    started: number;
    now: Date;
    encoderId: string;
    itemIds: string[];
    textVectors: Float32Array;
    interactions: Interaction[];
    purchases: Interaction[];
    hold: TrainingPairs;
    trainOpts: { dim: number; epochs: number; seed: number; learningRateEnd: number; batchSize: number };
    trainFull: (() => Promise<TrainResult>) | undefined;
    onHoldProgress: (fraction: number) => void;
    onActivateProgress: (fraction: number) => void;
  }): Promise<FinetuneResult> {
    const { started, now, encoderId, itemIds, textVectors, interactions, purchases, hold, trainOpts } = run;
    const cfg = this.config.finetune;
    const inputDim = textVectors.length / itemIds.length;
    const first = await train({ itemIds, textVectors, pairs: hold }, trainOpts, (p) =>
      run.onHoldProgress(p.step / p.totalSteps),
    );
    const validationStart = new Date(hold.validationStart);

    // The gate: candidate vs the model in service, both with their blend tuned on the same validation baskets.
    const cases = this.validationCases(purchases, interactions, itemIds, validationStart);
    const history = purchases.filter((e) => e.timestamp < validationStart);
    const candidate = this.tune(
      cases,
      first.model.projectAll(itemIds, textVectors),
      first.model.dim,
      first.model.tau,
      itemIds,
      history,
      validationStart,
    );
    const current = this.active
      ? this.tune(
          cases,
          this.active.model.projectAll(itemIds, textVectors),
          this.active.model.dim,
          this.active.model.tau,
          itemIds,
          history,
          validationStart,
        )
      : this.tune(
          cases,
          normalizeRows(textVectors, inputDim),
          inputDim,
          0.1,
          itemIds,
          history,
          validationStart,
        );
    const version = `ft-${now.toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${Date.now().toString(36)}`;
    const metrics: Record<string, unknown> = {
      validationCases: cases.length,
      validationNdcg: candidate.ndcg,
      activeValidationNdcg: current.ndcg,
      activeVersion: this.active?.version ?? 'raw',
      initialValidationLoss: first.initialValidationLoss,
      epochs: first.epochs,
      trainPairs: hold.train.target.length,
      validationPairs: hold.validation.target.length,
    };
    const accepted = cases.length > 0 && candidate.ndcg >= current.ndcg + cfg.minGain;
    if (!accepted) {
      await this.versions.insert({
        version,
        encoderId,
        status: 'rejected',
        metrics,
        params: { blend: candidate.weights, discoveryBlend: candidate.discoveryWeights, ...trainOpts },
        weights: null,
      });
      const reason = `validation NDCG@10 ${candidate.ndcg.toFixed(4)} does not beat the active model's ${current.ndcg.toFixed(4)} by ${cfg.minGain}`;
      this.logger.warn(`fine-tune rejected: ${reason}`);
      return {
        version,
        activated: false,
        reason,
        metrics: { ...metrics, seconds: (Date.now() - started) / 1000 },
      };
    }
    const model = run.trainFull ? (await run.trainFull()).model : first.model;
    metrics.trainSeconds = (Date.now() - started) / 1000;
    await this.versions.insert({
      version,
      encoderId,
      status: 'candidate',
      metrics,
      params: { blend: candidate.weights, discoveryBlend: candidate.discoveryWeights, ...trainOpts },
      weights: model.toBuffer(),
    });
    await this.activate(version, (d, t) => run.onActivateProgress(d / Math.max(1, t)));
    await this.versions.prune(cfg.keepVersions);
    metrics.seconds = (Date.now() - started) / 1000;
    return {
      version,
      activated: true,
      reason: 'better than the active model on the validation window',
      metrics,
    };
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
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [INDEX_LOCK]);
      await this.index.rebuild(progress, projectionOf(version, model));
      await this.versions.markActive(version);
      this.active = { version, model };
      this.recs.blend = (row.params.blend as BlendWeights | undefined) ?? DEFAULT_BLEND;
      this.recs.discoveryBlend = (row.params.discoveryBlend as BlendWeights | undefined) ?? this.recs.blend;
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [INDEX_LOCK]).catch(() => undefined);
      await runner.release();
    }
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

  /** Tunes the blend for one set of item vectors; returns its weights and validation NDCG@10. */
  private tune(
    users: Array<{ userId: string; targets: Set<string> }>,
    projected: Float32Array,
    dim: number,
    tau: number,
    itemIds: string[],
    history: Interaction[],
    at: Date,
  ): { weights: BlendWeights; discoveryWeights: BlendWeights; ndcg: number } {
    const model = InteractionModel.fromPairs(
      aggregate(history).map((p) => ({ userId: p.userId, itemId: p.itemId, rows: p.rows, lastAt: p.lastAt })),
      at,
    );
    const byUser = new Map<string, Interaction[]>();
    for (const e of history) {
      const l = byUser.get(e.userId);
      if (l) l.push(e);
      else byUser.set(e.userId, [e]);
    }
    const row = new Map(itemIds.map((id, i) => [id, i]));
    const cases: BlendCase[] = [];
    const discovery: BlendCase[] = [];
    for (const u of users) {
      // The same history cap as the service (most weighted items first).
      const own = aggregate(byUser.get(u.userId) ?? [])
        .map((p) => ({
          ...p,
          w: contextWeight(p.rows, at.getTime() - p.lastAt.getTime(), 1, this.config.profileHalfLifeDays),
        }))
        .sort((a, b) => b.w - a.w || b.rows - a.rows)
        .slice(0, HISTORY_CAP);
      if (own.length === 0) continue;
      const ctx = new Float32Array(dim);
      for (const p of own) {
        const r = row.get(p.itemId);
        if (r === undefined) continue;
        const w = contextWeight(
          p.rows,
          at.getTime() - p.lastAt.getTime(),
          1,
          this.config.profileHalfLifeDays,
        );
        for (let j = 0; j < dim; j++) ctx[j] += w * projected[r * dim + j];
      }
      let nn = 0;
      for (let j = 0; j < dim; j++) nn += ctx[j] * ctx[j];
      nn = Math.sqrt(nn) || 1;
      // Candidates as the service gathers them: vector neighbours, co-purchase neighbours, own items, popular.
      const cos = new Float32Array(itemIds.length);
      for (let i = 0; i < itemIds.length; i++) {
        let s = 0;
        for (let j = 0; j < dim; j++) s += ctx[j] * projected[i * dim + j];
        cos[i] = s / nn;
      }
      const knn = new Map<string, number>();
      for (const p of own)
        for (const [id, sim] of model.neighbours(p.itemId)) knn.set(id, (knn.get(id) ?? 0) + sim);
      const knnRanked = [...knn.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      const ownRows = new Map(own.map((p) => [p.itemId, p]));
      const byCosAll = [...cos.keys()].sort((a, b) => cos[b] - cos[a] || a - b);
      /**
       * The candidates forUser gathers under a rule: the top vector neighbours that pass it, the user's own
       * purchases (unless discovery), popular items that pass, then the strongest co-purchase-only neighbours.
       */
      const gather = (discovery: boolean): string[] => {
        const passes = (id: string) => row.has(id) && !(discovery && ownRows.has(id));
        const set = new Set<string>();
        for (const i of byCosAll) {
          if (set.size >= VECTOR_CANDIDATES) break;
          if (passes(itemIds[i])) set.add(itemIds[i]);
        }
        if (!discovery) for (const p of own) if (row.has(p.itemId)) set.add(p.itemId);
        let popular = 0;
        for (const id of model.popular) {
          if (popular >= POPULAR_CANDIDATES) break;
          if (passes(id)) {
            set.add(id);
            popular += 1;
          }
        }
        let kept = 0;
        for (const [id] of knnRanked) {
          if (kept >= KNN_CANDIDATES) break;
          if (set.has(id) || !passes(id)) continue;
          set.add(id);
          kept += 1;
        }
        return [...set];
      };
      const features = (ids: string[], withRepeat: boolean) => ({
        ids,
        cos: Float32Array.from(ids, (id) => cos[row.get(id)!] / tau),
        logPop: Float32Array.from(ids, (id) => Math.log1p(model.buyersOf(id))),
        knn: Float32Array.from(ids, (id) => knn.get(id) ?? 0),
        repeat: Float32Array.from(ids, (id) => {
          const p = withRepeat ? ownRows.get(id) : undefined;
          if (!p) return 0;
          const recency = Math.pow(2, -(at.getTime() - p.lastAt.getTime()) / (60 * DAY_MS));
          return Math.log1p(p.rows) * (0.5 + 0.5 * recency);
        }),
        isNew: Uint8Array.from(ids, (id) => (model.buyersOf(id) === 0 ? 1 : 0)),
      });
      cases.push({ ...features(gather(false), true), targets: u.targets });
      // The same basket for discovery lists (excludePurchased): own items are neither candidates nor targets.
      const targets = new Set([...u.targets].filter((id) => !ownRows.has(id)));
      if (targets.size > 0) discovery.push({ ...features(gather(true), false), targets });
    }
    // cos is already divided by τ above, so its weight starts at 1 (the prototype's cos/τ + β·log-pop).
    const nb = tuneBlend(cases, { cos: 1, pop: 1, knn: 1, repeat: 3, newItem: 3 });
    const disc = tuneBlend(discovery, { ...nb.weights, repeat: 0 });
    // Cold start: a never-sold item is scored as if it had the median item's buyers. The validation window
    // rarely contains new items, so tuning alone would bury them (log(1 + 0) = 0 under the popularity term).
    const sold = [...model.buyers.values()].filter((b) => b > 0).sort((a, b) => a - b);
    const medianLogPop = sold.length ? Math.log1p(sold[Math.floor(sold.length / 2)]) : 0;
    const withPrior = (w: BlendWeights): BlendWeights => ({
      ...w,
      cos: w.cos / tau,
      newItem: Math.max(w.newItem, w.pop * medianLogPop),
    });
    return {
      weights: withPrior(nb.weights),
      discoveryWeights: withPrior(disc.weights),
      ndcg: (nb.ndcg + disc.ndcg) / 2,
    };
  }
}

function aggregate(
  events: Interaction[],
): Array<{ userId: string; itemId: string; rows: number; lastAt: Date }> {
  const m = new Map<string, { userId: string; itemId: string; rows: number; lastAt: Date }>();
  for (const e of events) {
    const k = `${e.userId}\u0000${e.itemId}`;
    const p = m.get(k);
    if (p) {
      p.rows += 1;
      if (e.timestamp > p.lastAt) p.lastAt = e.timestamp;
    } else m.set(k, { userId: e.userId, itemId: e.itemId, rows: 1, lastAt: e.timestamp });
  }
  return [...m.values()];
}

function normalizeRows(v: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i += dim) {
    let n = 0;
    for (let j = 0; j < dim; j++) n += v[i + j] * v[i + j];
    n = Math.sqrt(n) || 1;
    for (let j = 0; j < dim; j++) out[i + j] = v[i + j] / n;
  }
  return out;
}
