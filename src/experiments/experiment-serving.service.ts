import { Injectable, Logger } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import type { PlacementContext } from '../placements/dto/placement.schema';
import { PinnedEngines } from '../placements/pinned-engines';
import type { PlacementExperiments } from '../placements/placement-experiments.port';
import type { PlacementItem, PlacementList, ServeOptions, ServeVariant } from '../placements/placement-list';
import { PlacementServingService } from '../placements/placement-serving.service';
import { compileRules } from '../placements/rules/compile-rules';
import { assignVariant } from './assignment';
import type { ExperimentMode } from './dto/experiment.schema';
import { ExperimentsRepository, type StoredExperiment } from './experiments.repository';
import { teamDraft } from './team-draft';

/** A live experiment as serving needs it: variants with compiled rules, weights, window. */
interface LiveExperiment {
  id: string;
  mode: ExperimentMode;
  startAt: number;
  endAt: number;
  variants: Array<{ id: string; weight: number; serve: ServeVariant }>;
}

/**
 * How long the live experiments are trusted before PostgreSQL is asked again: changes made through this
 * process apply at once, those of other processes within this time (the placements' own rule, too).
 */
const FRESH_MS = 1000;

/**
 * Serves a placement under its running experiment. A/B: the user (or, without one, the session) is put in a
 * variant by a hash of the experiment and that id, in proportion to the weights, and stays there; a list with
 * neither is served outside the experiment. Interleaving: both variants' lists, merged by team draft, each
 * item carrying its team.
 */
@Injectable()
export class ExperimentServing implements PlacementExperiments {
  private readonly logger = new Logger('Experiments');
  private live: { at: number; byPlacement: Map<string, LiveExperiment> } | undefined;
  private loading: Promise<Map<string, LiveExperiment>> | undefined;
  /** Bumped by every change made here, so a read that started before it is not cached as current. */
  private generation = 0;

  constructor(
    private readonly experiments: ExperimentsRepository,
    private readonly serving: PlacementServingService,
    private readonly pinned: PinnedEngines,
  ) {}

  /** Forget what is cached: the next request reads the live experiments again. */
  invalidate(): void {
    this.generation++;
    this.live = undefined;
    this.loading = undefined;
  }

  async serve(
    placementId: string,
    context: PlacementContext,
    opts: ServeOptions,
    who: { userId?: string; sessionId?: string },
  ): Promise<PlacementList | undefined> {
    const now = Date.now();
    const exp = (await this.liveExperiments()).get(placementId);
    if (!exp || now < exp.startAt || now >= exp.endAt) return undefined;
    if (exp.mode === 'ab') {
      const unit = who.userId ? `u:${who.userId}` : who.sessionId ? `s:${who.sessionId}` : undefined;
      if (unit === undefined) return undefined;
      const v =
        exp.variants[
          assignVariant(
            exp.id,
            unit,
            exp.variants.map((x) => x.weight),
          )
        ];
      const list = await this.serving.serve(placementId, context, opts, v.serve);
      return { ...list, variant: v.id, experiment: exp.id };
    }
    const [a, b] = exp.variants;
    const [first, second] = await Promise.all([
      this.serving.serve(placementId, context, opts, a.serve),
      this.serving.serve(placementId, context, opts, b.serve),
    ]);
    return interleave(first, second, [a.id, b.id], exp.id, () => randomInt(2) === 0);
  }

  private async liveExperiments(): Promise<Map<string, LiveExperiment>> {
    if (this.live && Date.now() - this.live.at < FRESH_MS) return this.live.byPlacement;
    if (!this.loading) {
      const loading = this.load().finally(() => {
        if (this.loading === loading) this.loading = undefined;
      });
      this.loading = loading;
    }
    return this.loading;
  }

  private async load(): Promise<Map<string, LiveExperiment>> {
    const at = Date.now();
    const generation = this.generation;
    const byPlacement = new Map<string, LiveExperiment>();
    for (const e of await this.experiments.live()) {
      byPlacement.set(e.placement, toLive(e));
      // Versions served by name get their engines now rather than on a shopper's request.
      for (const v of e.variants)
        if (v.modelVersion)
          this.pinned.engine(v.modelVersion).catch((err: unknown) => {
            this.logger.warn(`experiment ${e.id}: ${(err as Error).message}`);
          });
    }
    if (generation === this.generation) this.live = { at, byPlacement };
    return byPlacement;
  }
}

function toLive(e: StoredExperiment): LiveExperiment {
  return {
    id: e.id,
    mode: e.mode,
    startAt: e.startAt?.getTime() ?? -Infinity,
    endAt: e.endAt?.getTime() ?? Infinity,
    variants: e.variants.map((v) => ({
      id: v.id,
      weight: v.weight ?? 1,
      serve: {
        ...(v.rules !== undefined ? { rules: compileRules(v.rules) } : {}),
        ...(v.strategy !== undefined ? { strategy: v.strategy } : {}),
        ...(v.modelVersion !== undefined ? { modelVersion: v.modelVersion } : {}),
      },
    })),
  };
}

/**
 * Two variants' lists merged by team draft, as long as the longer of them (the placement's length unless
 * both ran short). Each item keeps its own score, reason and record from the list that drafted it.
 */
export function interleave(
  first: PlacementList,
  second: PlacementList,
  teams: readonly [string, string],
  experimentId: string,
  coin: () => boolean,
): PlacementList {
  const lists = [first, second];
  const byId = lists.map((l) => new Map<string, PlacementItem>(l.items.map((i) => [i.id, i])));
  const limit = Math.max(first.items.length, second.items.length);
  const drafted = teamDraft(
    first.items.map((i) => i.id),
    second.items.map((i) => i.id),
    limit,
    coin,
  );
  return {
    items: drafted.map((d) => ({ ...byId[d.team].get(d.id)!, team: teams[d.team] })),
    modelVersion: first.modelVersion === second.modelVersion ? first.modelVersion : null,
    strategy: 'interleaved',
    placement: first.placement,
    ...(first.revision !== undefined ? { revision: first.revision } : {}),
    experiment: experimentId,
  };
}
