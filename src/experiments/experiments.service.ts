import { Injectable } from '@nestjs/common';
import { ServedListRecorder } from '../attribution/served-list.recorder';
import { notFound, ProblemException, validationProblem, type FieldError } from '../common/problem';
import { parseOrThrow } from '../common/validation';
import { definitionOf, type PlacementDefinition } from '../placements/dto/placement.schema';
import { PinnedEngines } from '../placements/pinned-engines';
import { PlacementsService } from '../placements/placements.service';
import { createExperimentSchema } from './dto/experiment.schema';
import { ExperimentResultsRepository } from './experiment-results.repository';
import { buildResults, type ExperimentResults } from './experiment-results';
import { ExperimentServing } from './experiment-serving.service';
import { ExperimentsRepository, type StoredExperiment } from './experiments.repository';

export type ExperimentStatus = 'scheduled' | 'running' | 'ended' | 'stopped';

export interface ExperimentView extends Omit<ExperimentResults, 'series'> {
  id: string;
  placement: string;
  mode: string;
  status: ExperimentStatus;
  startAt: string | null;
  endAt: string | null;
  createdAt: string;
  createdBy: string;
  stoppedAt: string | null;
  promotedVariant: string | null;
  /** Per day (UTC) and variant: lists, clicks, conversions, revenue (a chart's series). */
  series?: ExperimentResults['series'];
}

export function statusOf(e: StoredExperiment, now: Date): ExperimentStatus {
  if (e.stoppedAt) return 'stopped';
  if (e.startAt && e.startAt > now) return 'scheduled';
  if (e.endAt && e.endAt <= now) return 'ended';
  return 'running';
}

/** Experiments: creation (validated whole, nothing stored on a bad field), results, stop and promote. */
@Injectable()
export class ExperimentsService {
  constructor(
    private readonly repo: ExperimentsRepository,
    private readonly results: ExperimentResultsRepository,
    private readonly placements: PlacementsService,
    private readonly pinned: PinnedEngines,
    private readonly serving: ExperimentServing,
    private readonly recorder: ServedListRecorder,
  ) {}

  async create(body: unknown, by: string): Promise<ExperimentView> {
    const e = parseOrThrow(createExperimentSchema, body ?? {});
    const errors: FieldError[] = [];
    const placement = await this.placements.get(e.placement).catch((err: unknown) => {
      if (err instanceof ProblemException && err.getStatus() === 404) return undefined;
      throw err;
    });
    if (!placement) errors.push({ path: 'placement', message: `unknown placement "${e.placement}"` });
    // A version served by name must exist with weights; its engine is built now, not on a shopper's request.
    for (const [i, v] of e.variants.entries()) {
      if (v.modelVersion === undefined) continue;
      try {
        await this.pinned.engine(v.modelVersion);
      } catch (err) {
        if (!(err instanceof ProblemException)) throw err;
        errors.push({ path: `variants[${i}].modelVersion`, message: err.message });
      }
    }
    if (errors.length > 0) throw validationProblem(errors);
    const stored = await this.repo.insert({
      id: e.id,
      placement: e.placement,
      mode: e.mode,
      variants: e.variants,
      startAt: e.startAt ? new Date(e.startAt) : null,
      endAt: e.endAt ? new Date(e.endAt) : null,
      createdAt: new Date(),
      createdBy: by,
    });
    this.serving.invalidate();
    return this.view(stored, false);
  }

  async list(): Promise<ExperimentView[]> {
    await this.recorder.flush();
    return Promise.all((await this.repo.list()).map((e) => this.view(e, false)));
  }

  async get(id: string): Promise<ExperimentView> {
    await this.recorder.flush();
    return this.view(await this.find(id), true);
  }

  /** Stops serving the experiment (its lists and results stay); 409 when it was stopped already. */
  async stop(id: string): Promise<ExperimentView> {
    const e = await this.find(id);
    if (e.stoppedAt) throw new ProblemException(409, `Experiment "${id}" was stopped already`);
    const stopped = await this.repo.stop(id, new Date());
    this.serving.invalidate();
    return this.get(stopped!.id);
  }

  /**
   * Makes the variant the placement's own configuration — its model version, strategy and rules, each where
   * the variant sets one — as a new placement revision, and stops the experiment. Works on a stopped
   * experiment too (look at the results, then promote); a second promotion is a 409.
   */
  async promote(id: string, variantId: string, by: string): Promise<ExperimentView> {
    const e = await this.find(id);
    if (e.promotedVariant)
      throw new ProblemException(409, `Experiment "${id}" promoted "${e.promotedVariant}" already`);
    const variant = e.variants.find((v) => v.id === variantId);
    if (!variant) throw notFound(`Variant "${variantId}" of experiment "${id}"`);
    const current = definitionOf(
      (await this.placements.get(e.placement)) as unknown as Record<string, unknown>,
    ) as PlacementDefinition;
    const next: PlacementDefinition = { ...current };
    if (variant.rules !== undefined) next.rules = variant.rules;
    if (variant.strategy !== undefined) next.strategy = variant.strategy;
    if (variant.modelVersion !== undefined) next.modelVersion = variant.modelVersion;
    if (next.strategy === 'popular') delete next.modelVersion;
    await this.placements.save(e.placement, next, by);
    await this.repo.stop(id, new Date(), variantId);
    this.serving.invalidate();
    return this.get(id);
  }

  private async find(id: string): Promise<StoredExperiment> {
    const e = await this.repo.find(id);
    if (!e) throw notFound(`Experiment "${id}"`);
    return e;
  }

  private async view(e: StoredExperiment, withSeries: boolean): Promise<ExperimentView> {
    const ids = e.variants.map((v) => v.id);
    const { totals, days } = await this.results.aggregate(e.id, ids);
    const outcome =
      e.mode === 'interleave' ? await this.results.interleaving(e.id, [ids[0], ids[1]]) : undefined;
    const { series, ...results } = buildResults(e.mode, e.variants, totals, days, outcome);
    return {
      id: e.id,
      placement: e.placement,
      mode: e.mode,
      status: statusOf(e, new Date()),
      startAt: e.startAt?.toISOString() ?? null,
      endAt: e.endAt?.toISOString() ?? null,
      createdAt: e.createdAt.toISOString(),
      createdBy: e.createdBy,
      stoppedAt: e.stoppedAt?.toISOString() ?? null,
      promotedVariant: e.promotedVariant,
      ...results,
      ...(withSeries ? { series } : {}),
    };
  }
}
