// Over 400 lines: the kinds' candidate sources stay beside the serve / preview flow that feeds them, so a
// new kind is one case in one place.
import { Inject, Injectable } from '@nestjs/common';
import { CatalogSnapshot } from '../catalog/catalog-snapshot';
import { ItemsRepository } from '../catalog/items.repository';
import { ProblemException, validationProblem } from '../common/problem';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { ListOptions } from '../recommendations/dto/options.schema';
import { itemFilter } from '../recommendations/filters';
import { PurchaseSignalsService } from '../recommendations/purchase-signals.service';
import { ProfileService } from '../recommendations/profile.service';
import { RecommendationsService } from '../recommendations/recommendations.service';
import type { Reason } from '../recommendations/response';
import type { ItemDocument } from '../ranking/item-condition';
import { IndexService } from '../vector-index/index.service';
import {
  applyRules,
  isActive,
  type CompiledRule,
  type StageCandidate,
  type StageResult,
} from '../ranking/rules-stage';
import {
  DEFAULT_PLACEMENT_LIMIT,
  type PlacementContext,
  type PlacementDefinition,
  type PlacementKind,
} from './dto/placement.schema';
import { PinnedEngines } from './pinned-engines';
import type { PlacementItem, PlacementList, ServeOptions, ServeVariant } from './placement-list';

export type { PlacementItem, PlacementList, ServeOptions, ServeVariant };
import { ItemFieldsSnapshot } from './item-fields.snapshot';
import { compileRules } from './rules/compile-rules';
import { PlacementsService } from './placements.service';

/** What produces a list's candidates: an engine (the active one, or a version's own) or the popular list. */
interface ListEngine {
  recs: RecommendationsService;
  popular: boolean;
  /** The version the list is ranked with (null: raw text vectors). */
  version: () => string | null;
}

interface Candidate {
  id: string;
  score: number;
  reason?: Reason;
}

interface Run {
  items: Array<Candidate & { rules: string[] }>;
  strategy: string;
  modelVersion: string | null;
  stage: StageResult<Reason | undefined>;
  candidates: number;
}

/** Which context each kind needs: the first name listed is the one a 400 names. */
const REQUIRED: Record<PlacementKind, ReadonlyArray<keyof PlacementContext>> = {
  'for-you': ['userId'],
  'buy-again': ['userId'],
  similar: ['itemId'],
  complements: ['itemIds', 'itemId'],
  search: ['text'],
  trending: [],
  'new-arrivals': [],
};

/** The deepest candidate list one request asks for when rules remove or re-rank items. */
const MAX_FETCH = 900;

/**
 * Serves placements: the kind's candidates from the engine, the page's filters, then the merchandising
 * rules stage (src/ranking/rules-stage.ts) and the cut. When the ranking core exists, this calls it with the
 * placement's kind and the compiled rules, and the core runs the stage after blending and before diversity;
 * until then the candidates come from the existing services' finished lists, over-fetched.
 */
@Injectable()
export class PlacementServingService {
  constructor(
    private readonly placements: PlacementsService,
    private readonly recs: RecommendationsService,
    private readonly interactions: PurchaseSignalsService,
    private readonly profiles: ProfileService,
    private readonly catalog: CatalogSnapshot,
    private readonly fields: ItemFieldsSnapshot,
    private readonly items: ItemsRepository,
    private readonly index: IndexService,
    private readonly pinned: PinnedEngines,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The placement's list, or an experiment variant's list of it (`variant` overrides its settings). */
  async serve(
    id: string,
    context: PlacementContext,
    opts: ServeOptions,
    variant?: ServeVariant,
  ): Promise<PlacementList> {
    const { placement, rules } = await this.placements.servable(id);
    const engine = await this.engineFor(placement, variant);
    const run = await this.run(
      placement,
      variant?.rules ?? rules,
      context,
      opts.limit,
      new Date(),
      opts.explain,
      engine,
    );
    return {
      items: await this.present(run, opts.explain, opts.explain, opts.includeItems),
      modelVersion: run.modelVersion,
      strategy: run.strategy,
      placement: id,
      revision: placement.revision,
    };
  }

  /**
   * The list with the draft beside the list without it (the stored placement, or the draft without rules
   * when none is stored), every item with its reason and the rules that touched it.
   */
  async preview(
    id: string,
    draft: PlacementDefinition,
    context: PlacementContext,
    opts: { limit?: number; includeItems: boolean },
  ): Promise<Record<string, unknown>> {
    const now = new Date();
    // No stored placement yet: the draft is compared with itself without rules. Other failures are errors.
    const stored = await this.placements.servable(id).catch((e: unknown) => {
      if (e instanceof ProblemException && e.getStatus() === 404) return undefined;
      throw e;
    });
    const draftEngine = await this.engineFor(draft);
    const withDraft = await this.run(
      draft,
      compileRules(draft.rules ?? []),
      context,
      opts.limit,
      now,
      true,
      draftEngine,
    );
    const base = stored
      ? await this.run(
          stored.placement,
          stored.rules,
          context,
          opts.limit,
          now,
          true,
          await this.engineFor(stored.placement),
        )
      : await this.run({ ...draft, rules: [] }, [], context, opts.limit, now, true, draftEngine);
    const warnings: string[] = [];
    for (const [key, removed] of Object.entries(withDraft.stage.removed))
      if (removed === withDraft.candidates)
        warnings.push(`rule ${key} removes every candidate (${removed}) of this list`);
    if (withDraft.items.length === 0 && base.items.length > 0) warnings.push('the draft empties the list');
    const side = async (r: Run) => ({
      items: await this.present(r, true, true, opts.includeItems),
      strategy: r.strategy,
      activeRules: r.stage.active,
      removedByRule: r.stage.removed,
    });
    return {
      placement: id,
      context,
      withDraft: await side(withDraft),
      withoutDraft: {
        ...(await side(base)),
        source: stored ? `revision ${stored.placement.revision}` : 'the draft without rules',
      },
      empty: withDraft.items.length === 0,
      warnings,
      modelVersion: withDraft.modelVersion,
    };
  }

  private async present(
    run: Run,
    reasons: boolean,
    rules: boolean,
    includeItems: boolean,
  ): Promise<PlacementItem[]> {
    const records = includeItems
      ? new Map((await this.items.findMany(run.items.map((i) => i.id))).map((i) => [i.id, i]))
      : undefined;
    return run.items.map((i) => ({
      id: i.id,
      score: Math.round(i.score * 1e6) / 1e6,
      ...(reasons && i.reason ? { reason: i.reason } : {}),
      ...(rules ? { rules: i.rules } : {}),
      ...(records?.get(i.id) ? { item: records.get(i.id) } : {}),
    }));
  }

  /**
   * The engine of a placement (or of an experiment variant of it): the popular list, a version served by
   * name, or the active engine.
   */
  private async engineFor(def: PlacementDefinition, variant?: ServeVariant): Promise<ListEngine> {
    const strategy = variant?.strategy ?? def.strategy ?? 'engine';
    const version = variant?.modelVersion ?? def.modelVersion;
    const active = () => this.index.current()?.info.modelVersion ?? null;
    if (strategy === 'popular') return { recs: this.recs, popular: true, version: active };
    if (version === undefined) return { recs: this.recs, popular: false, version: active };
    return { recs: await this.pinned.engine(version), popular: false, version: () => version };
  }

  /** Candidates → page filters → rules → cut, fetching deeper while rules leave the list short. */
  private async run(
    def: PlacementDefinition,
    rules: readonly CompiledRule[],
    context: PlacementContext,
    requestedLimit: number | undefined,
    now: Date,
    explain: boolean,
    engine: ListEngine,
  ): Promise<Run> {
    requireContext(def.kind, context);
    const limit = requestedLimit ?? def.limit ?? DEFAULT_PLACEMENT_LIMIT;
    const contextId = context.itemId ?? context.itemIds?.[context.itemIds.length - 1];
    const stageContext = {
      item: contextId ? this.fields.document(contextId) : undefined,
      now: now.getTime(),
    };
    const active = rules.filter((r) => isActive(r, stageContext));
    // Filters, promotions and re-weighting reach below the cut; pins and no rules need the list only.
    const deep = active.some((r) => r.action !== 'pin');
    const pins = active.flatMap((r) => (r.action === 'pin' ? (r.itemIds ?? []) : []));
    let fetch = deep ? Math.min(MAX_FETCH, Math.max(limit * 4, 40)) : limit + pins.length;

    const filters = def.filters ?? {};
    const purchased =
      filters.excludePurchased && context.userId
        ? (await this.profiles.profile(context.userId, now)).items
            .filter((p) => p.purchases > 0)
            .map((p) => p.itemId)
        : [];
    // The page never shows what it is about: the viewed item, the cart.
    const excluded = new Set([
      ...purchased,
      ...(context.itemId ? [context.itemId] : []),
      ...(context.itemIds ?? []),
    ]);
    const pass = itemFilter(
      (id) => this.catalog.get(id),
      { ...filters, inStockOnly: filters.inStockOnly ?? true },
      excluded,
    );
    const docOf = (id: string): ItemDocument | undefined => (pass(id) ? this.fields.document(id) : undefined);
    const pinnable: Array<StageCandidate<Reason | undefined>> = [];
    for (const id of pins) {
      const doc = docOf(id);
      if (doc) pinnable.push({ id, score: 0, doc });
    }

    for (;;) {
      const got = await this.candidates(def, context, fetch, now, explain, engine);
      const staged: Array<StageCandidate<Reason | undefined>> = [];
      for (const c of got.items) {
        const doc = docOf(c.id);
        if (doc) staged.push({ id: c.id, score: c.score, doc, data: c.reason });
      }
      const stage = applyRules({ candidates: staged, pinnable, rules, context: stageContext, limit });
      const exhausted = got.items.length < fetch || fetch >= MAX_FETCH;
      if (stage.items.length >= limit || exhausted || !deep) {
        return {
          items: stage.items.map((s) => ({ id: s.id, score: s.score, reason: s.data, rules: s.rules })),
          strategy: got.strategy,
          modelVersion: got.modelVersion,
          stage,
          candidates: staged.length,
        };
      }
      fetch = Math.min(MAX_FETCH, fetch * 3);
    }
  }

  /** The kind's candidates, best first, under the page's filters (applied again by the caller). */
  private async candidates(
    def: PlacementDefinition,
    context: PlacementContext,
    limit: number,
    now: Date,
    explain: boolean,
    engine: ListEngine,
  ): Promise<{ items: Candidate[]; strategy: string; modelVersion: string | null }> {
    const f = def.filters ?? {};
    const opts: ListOptions = {
      limit,
      category: f.category,
      minPrice: f.minPrice,
      maxPrice: f.maxPrice,
      inStockOnly: f.inStockOnly ?? true,
      exclude: [],
      includeItems: false,
      // Reasons cost work per item, and without them a plain placement shares the engine's cached lists.
      explain,
      diversity: def.diversity ?? 0,
    };
    const model = this.interactions.current();
    const pass = itemFilter((id) => this.catalog.get(id), opts, new Set());
    const version = engine.version;
    const recs = engine.recs;
    // The control any shop understands: the most bought items under the page's filters, whatever the kind.
    if (engine.popular) return recs.popular(opts, pass);
    switch (def.kind) {
      case 'for-you':
        return recs.forUser(context.userId!, {
          ...opts,
          excludePurchased: f.excludePurchased ?? false,
        });
      case 'similar':
        return recs.similar(context.itemId!, opts);
      case 'search':
        return recs.session([], context.text, opts);
      case 'complements': {
        const sources = context.itemIds ?? [context.itemId!];
        const exclude = new Set(sources);
        const items: Candidate[] = [];
        // Co-purchase neighbours first: their scores (1 + Σ similarity) sit above any cosine (≤ 1).
        model.withCoPurchase(sources, (co) => {
          for (const id of co.ranked()) {
            if (items.length >= limit) break;
            if (exclude.has(id) || !pass(id)) continue;
            const k = co.of(id);
            exclude.add(id);
            items.push({
              id,
              score: 1 + k.score,
              reason: { type: 'co-purchased-with', itemIds: k.via ? [k.via] : [] },
            });
          }
        });
        let strategy = 'complements';
        if (items.length < limit) {
          const fill = await recs.session(sources, undefined, {
            ...opts,
            limit: limit - items.length,
            exclude: [...exclude],
          });
          if (items.length === 0) strategy = 'complements-vector';
          items.push(...fill.items);
        }
        return { items, strategy, modelVersion: version() };
      }
      case 'buy-again': {
        const profile = await this.profiles.profile(context.userId!, now);
        const halfLifeMs = this.config.profileHalfLifeDays * 86_400_000;
        const items = profile.items
          .filter((p) => p.purchases > 0 && pass(p.itemId))
          .map((p): Candidate => {
            const recency = Math.pow(2, -(now.getTime() - p.lastAt.getTime()) / halfLifeMs);
            return {
              id: p.itemId,
              score: model.reorderRate(p.itemId) * (0.5 + 0.5 * recency),
              reason: { type: 'bought-before', count: p.purchases },
            };
          })
          .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
          .slice(0, limit);
        return { items, strategy: 'buy-again', modelVersion: version() };
      }
      case 'trending': {
        const items: Candidate[] = [];
        for (const id of model.trending) {
          if (items.length >= limit) break;
          if (pass(id))
            items.push({
              id,
              score: 1 + Math.log1p(model.recentBuyersOf(id)),
              reason: { type: 'popular', buyers: model.recentBuyersOf(id) },
            });
        }
        const strategy = items.length > 0 ? 'trending' : 'popular-fallback';
        // Too few recent sales (a quiet shop, imported history): all-time sellers fill, below every trending one.
        const top = Math.log1p(model.buyersOf(model.popular[0] ?? '')) + 1;
        const seen = new Set(items.map((i) => i.id));
        for (const id of model.popular) {
          if (items.length >= limit) break;
          if (!seen.has(id) && pass(id))
            items.push({
              id,
              score: Math.log1p(model.buyersOf(id)) / top,
              reason: { type: 'popular', buyers: model.buyersOf(id) },
            });
        }
        return { items, strategy, modelVersion: version() };
      }
      case 'new-arrivals': {
        const items: Candidate[] = [];
        for (const id of this.fields.newestFirst()) {
          if (items.length >= limit) break;
          // By the catalog's own dates: a product announced for later is not on sale yet.
          const since = this.catalog.get(id)?.availableFrom ?? now.getTime();
          if (since > now.getTime() || !pass(id)) continue;
          const age = now.getTime() - since;
          // Newer is higher; a month halves the score, so boosts compare with freshness on a known scale.
          items.push({ id, score: Math.pow(2, -Math.max(0, age) / (30 * 86_400_000)) });
        }
        return { items, strategy: 'new-arrivals', modelVersion: version() };
      }
    }
  }
}

/** 400 naming the missing context parameter of the placement's kind. */
function requireContext(kind: PlacementKind, context: PlacementContext): void {
  const names = REQUIRED[kind];
  if (names.length === 0) return;
  const has = (n: keyof PlacementContext) => {
    const v = context[n];
    return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== '';
  };
  if (names.some(has)) return;
  throw validationProblem([
    {
      path: names[0],
      message:
        names.length > 1
          ? `a ${kind} placement needs ${names.join(' or ')}`
          : `a ${kind} placement needs ${names[0]}`,
    },
  ]);
}
