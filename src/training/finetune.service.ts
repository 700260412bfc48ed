import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { normalizeRows } from '../common/vectors';
import { EmbeddingsService } from '../embeddings/embeddings.service';
import { COPURCHASE, CopurchaseJob, type CopurchaseResult } from '../copurchase/copurchase.job';
import { JobsService } from '../jobs/jobs.service';
import { REINDEX } from '../vector-index/reindex.job';
import { candidateWins } from './gate-decision';
import { userHistories, type GateResult } from './blend-gate';
import { InteractionsRepository } from './interactions.repository';
import { ModelActivationService } from './model-activation.service';
import { ModelVersionsRepository } from './model-versions.repository';
import { buildTrainingPairs, type Interaction } from './model/training-pairs';
import type { TrainProgress, TrainResult } from './model/trainer';
import { ProjectionTrainer } from './projection-trainer';
import { visitSessionCases, windowSessionCases } from './session-gate';
import type { BackgroundRun } from './training-workers';

const MAX_TUNING_CASES = 1500;

export interface FinetuneResult extends Record<string, unknown> {
  version: string;
  activated: boolean;
  reason: string;
  metrics: Record<string, unknown>;
  /** Training options and the tuned blends (what GET /v1/admin/models lists as the version's params). */
  params: Record<string, unknown>;
}

/** What the fine-tune uses of each collaborator: its ports, narrow so a spec can fake them by hand. */
export type FinetuneEmbeddings = Pick<EmbeddingsService, 'catalogVectors' | 'embedCatalog'>;
export type FinetuneJobs = Pick<JobsService, 'underKindLock'>;
export type FinetuneCopurchase = Pick<CopurchaseJob, 'compute'>;
export type FinetuneInteractions = Pick<
  InteractionsRepository,
  'before' | 'latestPurchaseAt' | 'availableFrom'
>;
export type FinetuneVersions = Pick<ModelVersionsRepository, 'insert' | 'prune' | 'storeRetunedBlends'>;
export type FinetuneActivation = Pick<
  ModelActivationService,
  'activeModel' | 'activate' | 'adoptRetunedBlends'
>;
export type FinetuneTrainer = Pick<ProjectionTrainer, 'train' | 'tune' | 'gateSignals'>;

/**
 * The nightly fine-tune: trains a projection of the text vectors on the shop's own interactions, gates it
 * against the model in service on a held-out validation window, and — when it is better — has it activated
 * (every item re-projected, the index rebuilt and swapped) with the score blend re-tuned for it.
 */
@Injectable()
export class FinetuneService {
  private readonly logger = new Logger('Training');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ModelVersionsRepository) private readonly versions: FinetuneVersions,
    @Inject(EmbeddingsService) private readonly embeddings: FinetuneEmbeddings,
    @Inject(JobsService) private readonly jobs: FinetuneJobs,
    @Inject(CopurchaseJob) private readonly copurchase: FinetuneCopurchase,
    @Inject(InteractionsRepository) private readonly interactions: FinetuneInteractions,
    @Inject(ModelActivationService) private readonly activation: FinetuneActivation,
    @Inject(ProjectionTrainer) private readonly trainer: FinetuneTrainer,
  ) {}

  /**
   * The fine-tune job, whichever way it was queued (`aisle finetune`, POST /v1/admin/finetune, FINETUNE_CRON):
   * rebuild the co-purchase neighbours, embed the items that have no text vector yet (a catalog just loaded
   * needs no reindex first), then train, gate and activate. A failed co-purchase rebuild still lets the
   * training run, and still fails the job, so a nightly cron notices.
   */
  async nightly(opts: {
    now?: Date;
    copurchase: boolean;
    /** The job running it: its co-purchase rebuild is stored as that job's (CopurchaseJob.coveredAlready). */
    jobId?: string;
    progress?: (done: number, total: number) => void;
  }): Promise<FinetuneResult & { copurchase?: CopurchaseResult; embedded: number }> {
    const progress = opts.progress ?? (() => undefined);
    let copurchase: CopurchaseResult | Error | undefined;
    if (opts.copurchase) {
      copurchase = await this.jobs
        .underKindLock(COPURCHASE, () =>
          this.copurchase.compute(opts.now ?? new Date(), opts.jobId ?? null, progress),
        )
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
    const interactions = await this.interactions.before(now);
    const purchases = interactions.filter((e) => (e.weight ?? 1) >= 1);
    // Weight 1 marks the types the shop learns from (purchases; LEARN_FROM may name carts or views).
    if (purchases.length === 0)
      throw new Error(
        `no events to learn from before ${now.toISOString()} (LEARN_FROM=${this.config.learnFrom})`,
      );

    const trainOpts = {
      dim: cfg.dim,
      epochs: cfg.epochs,
      seed: cfg.seed,
      learningRateEnd: cfg.learningRateEnd,
      batchSize: cfg.batchSize,
      // Bounds the night on a large shop: a step projects every item its batch touches, so a step costs more
      // as the catalog grows, and a run's steps grow with the history (README, FINETUNE_MAX_TRAINING_MINUTES).
      maxSeconds: cfg.maxTrainingMinutes * 60,
    };
    const pairsFor = (validationDays: number) =>
      buildTrainingPairs(interactions, itemIds, {
        validationDays,
        now,
        halfLifeDays: this.config.profileHalfLifeDays,
        contextMaxItems: cfg.contextItems > 0 ? cfg.contextItems : undefined,
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
    const replanned = { hold: this.replanWatch('held-out'), full: this.replanWatch('full-history') };
    const trainFull = () =>
      this.trainer.train({ itemIds, textVectors, pairs: full! }, trainOpts, (p) => {
        fractions.full = p.step / p.totalSteps;
        replanned.full(p);
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
        this.trainer.train({ itemIds, textVectors, pairs: hold }, trainOpts, (p) => {
          fractions.hold = p.step / p.totalSteps;
          replanned.hold(p);
          report(0);
        }),
      ).result;
      const validationStart = new Date(hold.validationStart);

      // The gate: candidate vs the model in service, both with their blend tuned on the same validation
      // baskets (in parallel, each in its own thread).
      const users = validationCases(purchases, interactions, itemIds, validationStart);
      const knownItems = new Set(itemIds);
      const knownPurchases = purchases.filter((e) => knownItems.has(e.itemId));
      const windowSessions = evenSample(
        windowSessionCases(knownPurchases, validationStart),
        MAX_TUNING_CASES,
      );
      const visitSessions = evenSample(visitSessionCases(knownPurchases, validationStart), MAX_TUNING_CASES);
      const dates = await this.interactions.availableFrom();
      const availableFrom = Float64Array.from(itemIds, (id) => dates.get(id)?.getTime() ?? NaN);
      const history = purchases.filter((e) => e.timestamp < validationStart);
      // What the history teaches does not depend on the model: built once (a co-purchase build of the whole
      // history, in a thread of its own), and each model's gate thread gets it and only the validation users'
      // purchases, not the history itself.
      const signals = await background(
        this.trainer.gateSignals(history, validationStart, this.config.copurchaseBuyers),
      ).result;
      const histories = userHistories(history, users);
      const gate = (projected: Float32Array, dim: number, tau: number) =>
        background(
          this.trainer.tune({
            users,
            projected,
            dim,
            tau,
            itemIds,
            signals,
            histories,
            windowSessions,
            visitSessions,
            at: validationStart,
            halfLifeDays: this.config.profileHalfLifeDays,
            repeatHalfLifeDays: this.config.recsRepeatHalfLifeDays,
            newItemSlots: this.config.recsNewItemSlots,
            newItemShare: this.config.recsNewItemShare,
            availableFrom,
            newArrivalDays: this.config.newArrivalDays,
          }),
        ).result;
      // Read now, after training: the gate compares with whatever serves at this moment.
      const active = this.activation.activeModel();
      const [candidate, current] = await Promise.all([
        gate(first.model.projectAll(itemIds, textVectors), first.model.dim, first.model.tau),
        active
          ? gate(active.model.projectAll(itemIds, textVectors), active.model.dim, active.model.tau)
          : gate(normalizeRows(textVectors, inputDim), inputDim, 0.1),
      ]);
      const version = `ft-${now.toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${Date.now().toString(36)}`;
      const metrics: Record<string, unknown> = {
        validationCases: users.length,
        validationNdcg: candidate.ndcg,
        activeValidationNdcg: current.ndcg,
        // The similar kind's own validation (items bought with the viewed one), for both models.
        similarValidationNdcg: candidate.similar.ndcg,
        activeSimilarValidationNdcg: current.similar.ndcg,
        similarVectorOnlyNdcg: candidate.similar.vectorOnlyNdcg,
        similarValidationCases: candidate.similar.cases,
        // The session kind, each model with its own tuned session blend (reported; the gate compares the above).
        validationSessionCases: candidate.sessionCases,
        validationSessionNdcg: candidate.sessionNdcg,
        activeValidationSessionNdcg: current.sessionNdcg,
        activeVersion: active?.version ?? 'raw',
        initialValidationLoss: first.initialValidationLoss,
        epochs: first.epochs,
        trainSteps: this.stepsTaken('held-out', first.steps),
        trainPairs: hold.train.target.length,
        validationPairs: hold.validation.target.length,
        // FINETUNE_VALIDATION_DAYS before "now", or the last fifth of a younger history (validationWindowStart).
        validationStart: validationStart.toISOString(),
      };
      const params = {
        blend: candidate.weights,
        discoveryBlend: candidate.discoveryWeights,
        similarBlend: candidate.similar.weights,
        sessionBlend: candidate.sessionWeights,
        ...trainOpts,
      };
      // The personalised lists decide. A shop whose window holds no shopper who also bought before it (one
      // that cannot tie a visit to the next) has none of their cases: its session lists, each model with its own
      // tuned session blend, decide instead — else such a shop would keep the raw text vectors for good.
      const judged =
        users.length > 0
          ? { kind: 'personalised', candidate: candidate.ndcg, active: current.ndcg, cases: users.length }
          : {
              kind: 'session',
              candidate: candidate.sessionNdcg,
              active: current.sessionNdcg,
              cases: candidate.sessionCases,
            };
      metrics.gateKind = judged.kind;
      // A candidate trained on no pair learned nothing from the shop: whatever its NDCG, it differs from the
      // active model only by its initial weights, and a dozen validation sessions can rank that noise first.
      const learned = hold.train.target.length > 0;
      const accepted =
        learned &&
        candidateWins({
          candidateNdcg: judged.candidate,
          activeNdcg: judged.active,
          minGain: cfg.minGain,
          validationCases: judged.cases,
        });
      if (!accepted) {
        // The model in service stays, with its blends re-tuned on this window: a shop whose first candidate loses
        // would otherwise serve the default blends, tuned for no shop, until one wins.
        const retuned = retunedBlends(current, users.length);
        if (Object.keys(retuned).length > 0) {
          metrics.retunedActiveBlends = Object.keys(retuned);
          await this.versions.storeRetunedBlends(active?.version ?? null, retuned, {
            validationNdcg: current.ndcg,
            validationCases: users.length,
            similarValidationNdcg: current.similar.ndcg,
            similarValidationCases: current.similar.cases,
            validationSessionNdcg: current.sessionNdcg,
            validationSessionCases: current.sessionCases,
            candidate: version,
          });
          await this.activation.adoptRetunedBlends();
        }
        await this.versions.insert({
          version,
          encoderId,
          status: 'rejected',
          metrics,
          params,
          weights: null,
        });
        const refusal = !learned
          ? 'no training pair: no purchase before the validation window to learn from'
          : judged.cases > 0
            ? `${judged.kind === 'session' ? 'session ' : ''}validation NDCG@10 ${judged.candidate.toFixed(4)} does not beat the active model's ${judged.active.toFixed(4)} by ${cfg.minGain}`
            : 'no validation case: no purchase in the validation window follows an earlier one';
        const kept = Object.keys(retuned);
        const reason =
          kept.length > 0
            ? `${refusal}; the model in service keeps serving, its ${kept.join(', ')} re-tuned on this window`
            : refusal;
        this.logger.warn(`fine-tune rejected: ${reason}`);
        return {
          version,
          activated: false,
          reason,
          metrics: { ...metrics, seconds: (Date.now() - started) / 1000 },
          params,
        };
      }
      const served = full ? await (fullEarly ?? background(trainFull())).result : first;
      const model = served.model;
      if (full) metrics.fullTrainSteps = this.stepsTaken('full-history', served.steps);
      metrics.trainSeconds = (Date.now() - started) / 1000;
      await this.versions.insert({
        version,
        encoderId,
        status: 'candidate',
        metrics,
        params,
        weights: model.toBuffer(),
      });
      await this.activation.activate(version, (d, t) => report(d / Math.max(1, t)));
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

  /**
   * Logs, as soon as it happens, that a model's training was re-planned to fit FINETUNE_MAX_TRAINING_MINUTES (its
   * reports name fewer steps than its first did): on a shop where a run takes hours, the operator learns it within
   * the first minutes rather than when the job ends.
   */
  private replanWatch(which: string): (p: TrainProgress) => void {
    let planned: number | undefined;
    let told = false;
    return (p) => {
      planned ??= p.totalSteps;
      if (told || p.totalSteps >= planned) return;
      told = true;
      this.logger.warn(
        `the ${which} model's training was re-planned to ${p.totalSteps} of ${planned} steps to fit ` +
          `FINETUNE_MAX_TRAINING_MINUTES=${this.config.finetune.maxTrainingMinutes}`,
      );
    };
  }

  /** A model's steps for the job's metrics; a run the time budget cut short is logged as well. */
  private stepsTaken(which: string, steps: TrainResult['steps']): TrainResult['steps'] {
    if (steps.done < steps.planned)
      this.logger.warn(
        `the ${which} model stopped at FINETUNE_MAX_TRAINING_MINUTES=${this.config.finetune.maxTrainingMinutes}` +
          ` after ${steps.done} of ${steps.planned} steps (${Math.round((100 * steps.done) / steps.planned)} %)`,
      );
    return steps;
  }

  /**
   * "Now" for a nightly run: the wall clock, or just after the latest purchase when purchases stopped coming
   * earlier (imported history, a paused feed, a quiet week). The validation window is the last days before
   * "now"; an empty one would leave the gate nothing to compare and reject every candidate.
   */
  private async trainingClock(): Promise<Date> {
    const latest = await this.interactions.latestPurchaseAt();
    const wall = new Date();
    if (!latest || latest.getTime() >= wall.getTime()) return wall;
    const clock = new Date(latest.getTime() + 1);
    if (wall.getTime() - clock.getTime() > 86_400_000)
      this.logger.log(`no purchases since ${latest.toISOString()}: training as of then`);
    return clock;
  }
}

/** Validation baskets as in the offline protocol: each user's first basket in the window, asked at its start. */
export function validationCases(
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
  return evenSample(cases, MAX_TUNING_CASES).map(([userId, f]) => ({ userId, targets: f.targets }));
}

/** At most `max` of `cases`, evenly spread: keeps tuning time bounded on large shops. */
function evenSample<T>(cases: readonly T[], max: number): T[] {
  const step = Math.max(1, Math.ceil(cases.length / max));
  return cases.filter((_, i) => i % step === 0);
}

/**
 * The blends of the model in service re-tuned by the gate, each only where the window held cases of its kind to
 * tune it on (a blend tuned on nothing is the search's starting point, and must not replace a tuned one).
 */
export function retunedBlends(
  tuned: Pick<GateResult, 'weights' | 'discoveryWeights' | 'similar' | 'sessionWeights' | 'sessionCases'>,
  personalisedCases: number,
): Record<string, unknown> {
  return {
    ...(personalisedCases > 0 ? { blend: tuned.weights, discoveryBlend: tuned.discoveryWeights } : {}),
    ...(tuned.similar.cases > 0 ? { similarBlend: tuned.similar.weights } : {}),
    ...(tuned.sessionCases > 0 ? { sessionBlend: tuned.sessionWeights } : {}),
  };
}
