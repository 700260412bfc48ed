import type { CatalogSnapshot } from '../catalog/catalog-snapshot';
import type { ItemsRepository } from '../catalog/items.repository';
import { deeper, MAX_STAGE_DEPTH, type ListStage } from '../ranking/list-stage';
import type { IndexService } from '../vector-index/index.service';
import { mmr, type Scored } from './diversity';
import type { ListOptions } from './dto/options.schema';
import { itemFilter } from './filters';
import type { Reason, RecommendationList, RecommendedItem, StageSummary } from './response';

/** What ranking reads of an index: the served one, or a version served by name (vector-index/pinned-index). */
export type RankingIndex = Pick<
  IndexService,
  'current' | 'vectorOf' | 'vectorLookup' | 'currentProjection' | 'search'
>;

export interface Candidate extends Scored {
  reason?: Reason;
}

/** How many vector neighbours a list asks for: more than its limit when diversity will re-rank. */
export const vectorPool = (opts: ListOptions): number =>
  opts.diversity > 0 ? Math.min(300, opts.limit * 4) : opts.limit;

/**
 * The last steps every kind of list goes through (rules stage, diversity, explanations, item records), apart
 * from the kinds themselves (recommendations.service.ts, similar-lists.ts, session-lists.ts).
 */
export class ListSteps {
  constructor(
    private readonly index: RankingIndex,
    private readonly snapshot: CatalogSnapshot,
    private readonly items: ItemsRepository,
  ) {}

  /** Vector search under the list's business rules; over-asks when diversity will re-rank. */
  searchVector(
    v: Float32Array,
    opts: ListOptions,
    excluded: ReadonlySet<string>,
    depth = vectorPool(opts),
  ): Candidate[] {
    const filter = itemFilter((id) => this.snapshot.get(id), opts, excluded);
    return this.index.search(v, depth, filter);
  }

  /**
   * A kind's ranked candidates (`produce(depth)`: the best `depth`, best first) through the list's last
   * steps. Without a stage, `depth` is the list's own pool; with one, the stage's depth, and deeper while the
   * rules leave the list short of its limit and the kind has more candidates.
   */
  async staged(
    produce: (depth: number) => Candidate[] | Promise<Candidate[]>,
    opts: ListOptions,
    strategy: string,
    stage?: ListStage,
    pool = opts.limit,
  ): Promise<RecommendationList> {
    if (!stage) return this.finish(await produce(pool), opts, strategy);
    let depth = Math.max(pool, stage.depth(opts.limit));
    for (;;) {
      const got = await produce(depth);
      const list = await this.finish(got, opts, strategy, stage);
      if (!stage.deep || list.items.length >= opts.limit || got.length < depth || depth >= MAX_STAGE_DEPTH)
        return list;
      depth = deeper(depth);
    }
  }

  /** Diversity, explanations and embedded item records: the last steps every list goes through. */
  async finish(
    candidates: Candidate[],
    opts: ListOptions,
    strategy: string,
    stage?: ListStage,
  ): Promise<RecommendationList> {
    const index = this.index.current();
    const staged = stage ? this.applyStage(candidates, opts, stage) : undefined;
    const chosen: Array<Candidate & { rules?: string[] }> =
      staged?.items ?? mmr(candidates, opts.limit, opts.diversity, (id) => this.index.vectorOf(id));
    const records = opts.includeItems
      ? new Map((await this.items.findMany(chosen.map((c) => c.id))).map((i) => [i.id, i]))
      : undefined;
    // Fields are added one by one in the answer's key order: spreading empty objects into each item cost more than
    // the rest of building it, on every list served.
    const items: RecommendedItem[] = chosen.map((c) => {
      const item: RecommendedItem = { id: c.id, score: Math.round(c.score * 1e6) / 1e6 };
      if (opts.explain && c.reason) item.reason = c.reason;
      if (c.rules) item.rules = c.rules;
      const record = records?.get(c.id);
      if (record) item.item = record;
      return item;
    });
    const list: RecommendationList = { items, modelVersion: index?.modelVersion ?? null, strategy };
    if (staged) list.stage = staged.summary;
    return list;
  }

  /**
   * The rules stage, then diversity: with diversity, it chooses the shown places that no pin holds from the
   * stage's ranked items (the shown ones and a pool below them), and the pins keep their places.
   */
  private applyStage(
    candidates: Candidate[],
    opts: ListOptions,
    stage: ListStage,
  ): { items: Array<Candidate & { rules: string[] }>; summary: StageSummary } {
    const below = opts.diversity > 0 ? Math.max(opts.limit * 4, 40) - opts.limit : 0;
    const r = stage.apply(
      candidates.map((c) => ({ id: c.id, score: c.score, data: c.reason })),
      opts.limit,
      below,
    );
    const summary = { active: r.active, removed: r.removed, candidates: r.candidates };
    const out = (s: { id: string; score: number; data?: Reason; rules: string[] }) => ({
      id: s.id,
      score: s.score,
      reason: s.data,
      rules: s.rules,
    });
    if (opts.diversity <= 0) return { items: r.items.map(out), summary };
    const free = mmr(r.ranked.map(out), opts.limit - r.pins.length, opts.diversity, (id) =>
      this.index.vectorOf(id),
    );
    const items: Array<Candidate & { rules: string[] }> = [];
    let next = 0;
    for (let pos = 1, p = 0; pos <= opts.limit; pos++) {
      if (p < r.pins.length && r.pins[p].position === pos) items.push(out(r.pins[p++].item));
      else if (next < free.length) items.push(free[next++]);
    }
    return { items, summary };
  }
}
