// Over 400 lines: the kinds' candidate sources stay beside the serve / preview flow that feeds them, so a
// new kind is one case in one place.
import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { CatalogSnapshot } from '../catalog/catalog-snapshot';
import { ItemsRepository } from '../catalog/items.repository';
import { ProblemException, validationProblem } from '../common/problem';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { ListOptions } from '../recommendations/dto/options.schema';
import { itemFilter } from '../recommendations/filters';
import { PurchaseSignalsService } from '../recommendations/purchase-signals.service';
import { ProfileService } from '../recommendations/profile.service';
import { RecommendationsService } from '../recommendations/recommendations.service';
import { ListWarmers } from '../recommendations/list-warmers';
import type { Reason, RecommendationList, StageSummary } from '../recommendations/response';
import type { ListStage } from '../ranking/list-stage';
import { memoizeRules, type CompiledRule } from '../ranking/rules-stage';
import { IndexService } from '../vector-index/index.service';
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
import { placementStage } from './rules/placement-stage';
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
  stage: StageSummary;
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

/** Items whose condition results one rule set remembers (a catalog write starts the memo over). */
const CONDITION_MEMO_ITEMS = 50_000;
/** How long the warmer trusts its list of placements to warm. */
const WARM_LIST_MS = 5000;

/**
 * Serves placements: the kind's candidates, ranked by the ranking core with the placement's rules as its
 * stage (src/ranking/rules-stage.ts, run after candidates and blend, before diversity and the cut, deeper
 * while rules leave a list short). Personalised lists made under rules are cached like the engine's own,
 * keyed by the rule set, the context and the rules in force, until the next rule window boundary.
 */
@Injectable()
export class PlacementServingService implements OnModuleInit, OnModuleDestroy {
  private sub: Subscription | undefined;

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
    private readonly warmers: ListWarmers,
  ) {}

  onModuleInit(): void {
    this.warmers.register((userId) => this.warm(userId));
    // A placement was written: the next pass looks its placements up again.
    this.sub = this.warmers.nudges$.subscribe(() => (this.warmList = undefined));
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

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
   * Warms a user's lists of the for-you placements with rules, as the list warmer does the engine's default
   * list (plain placements share that one). Returns how many lists it computed.
   */
  async warm(userId: string): Promise<number> {
    let warmed = 0;
    for (const id of await this.warmable()) {
      const { placement, rules } = await this.placements.servable(id).catch(() => ({
        placement: undefined,
        rules: [],
      }));
      if (!placement || rules.length === 0 || placement.kind !== 'for-you') continue;
      const engine = await this.engineFor(placement);
      if (engine.recs !== this.recs || engine.popular) continue;
      const context = { userId };
      const now = new Date();
      const plan = await this.plan(placement, rules, context, undefined, now, false, true);
      if (!plan.stage || this.recs.listIsFresh(userId, forYouOptions(placement, plan.opts), plan.stage))
        continue;
      await this.list(placement, context, plan.opts, now, engine, plan.excluded, plan.stage);
      warmed += 1;
    }
    return warmed;
  }

  private warmList: { at: number; ids: string[] } | undefined;

  /** The for-you placements with rules, looked up at most every few seconds. */
  private async warmable(): Promise<string[]> {
    if (!this.warmList || Date.now() - this.warmList.at > WARM_LIST_MS) {
      const all = await this.placements.list();
      this.warmList = {
        at: Date.now(),
        ids: all.filter((p) => p.kind === 'for-you' && (p.rules?.length ?? 0) > 0).map((p) => p.id),
      };
    }
    return this.warmList.ids;
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
      false,
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
      if (removed === withDraft.stage.candidates)
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

  /**
   * The placement's list: the kind's candidates through the ranking core with the rules as its stage (after
   * candidates and blend, before diversity and the cut). No rule in force: the engine's own list.
   */
  private async run(
    def: PlacementDefinition,
    rules: readonly CompiledRule[],
    context: PlacementContext,
    requestedLimit: number | undefined,
    now: Date,
    explain: boolean,
    engine: ListEngine,
    cacheable = true,
  ): Promise<Run> {
    const { opts, excluded, stage } = await this.plan(
      def,
      rules,
      context,
      requestedLimit,
      now,
      explain,
      cacheable,
    );
    const list = await this.list(def, context, opts, now, engine, excluded, stage);
    return {
      items: list.items.map((i) => ({ id: i.id, score: i.score, reason: i.reason, rules: i.rules ?? [] })),
      strategy: list.strategy,
      modelVersion: list.modelVersion,
      stage: list.stage ?? { active: [], removed: {}, candidates: list.items.length },
    };
  }

  /** A request's list options, the items its page never shows, and its rules stage (none in force: none). */
  private async plan(
    def: PlacementDefinition,
    rules: readonly CompiledRule[],
    context: PlacementContext,
    requestedLimit: number | undefined,
    now: Date,
    explain: boolean,
    cacheable: boolean,
  ): Promise<{ opts: ListOptions; excluded: ReadonlySet<string>; stage: ListStage | undefined }> {
    requireContext(def.kind, context);
    const limit = requestedLimit ?? def.limit ?? DEFAULT_PLACEMENT_LIMIT;
    const filters = def.filters ?? {};
    const purchased =
      filters.excludePurchased && context.userId
        ? (await this.profiles.profile(context.userId, now)).items
            .filter((p) => p.purchases > 0)
            .map((p) => p.itemId)
        : [];
    // The page never shows what it is about: the viewed item, the cart.
    const shown = [...(context.itemId ? [context.itemId] : []), ...(context.itemIds ?? [])];
    const excluded = new Set([...purchased, ...shown]);
    const pass = itemFilter(
      (id) => this.catalog.get(id),
      { ...filters, inStockOnly: filters.inStockOnly ?? true },
      excluded,
    );
    const contextId = context.itemId ?? context.itemIds?.[context.itemIds.length - 1];
    const stage = placementStage({
      rules: this.memoized(rules),
      rulesId: this.rulesId(rules),
      contextItem: contextId ? this.fields.document(contextId) : undefined,
      contextKey: shown.join(','),
      now: now.getTime(),
      docOf: (id) => (pass(id) ? this.fields.document(id) : undefined),
      generation: this.fields.generation,
      cacheable,
    });
    const opts: ListOptions = {
      limit,
      category: filters.category,
      minPrice: filters.minPrice,
      maxPrice: filters.maxPrice,
      inStockOnly: filters.inStockOnly ?? true,
      exclude: shown,
      includeItems: false,
      // Reasons cost work per item, and without them a plain placement shares the engine's cached lists.
      explain,
      diversity: def.diversity ?? 0,
    };
    return { opts, excluded, stage };
  }

  /** The rules with their conditions remembered per item, until the item documents change. */
  private memoized(rules: readonly CompiledRule[]): readonly CompiledRule[] {
    if (rules.length === 0) return rules;
    const generation = this.fields.generation;
    const hit = this.memos.get(rules);
    if (hit && hit.generation === generation) return hit.rules;
    const memo = { generation, rules: memoizeRules(rules, CONDITION_MEMO_ITEMS) };
    this.memos.set(rules, memo);
    return memo.rules;
  }

  private readonly memos = new WeakMap<
    readonly CompiledRule[],
    { generation: number; rules: CompiledRule[] }
  >();

  /**
   * A rule set's name in cache keys: a digest of the rules as written, so a placement revision's and an
   * experiment variant's rules keep their name when compiled again (rules built without their source get one
   * name per compiled set).
   */
  private rulesId(rules: readonly CompiledRule[]): string {
    let id = this.ruleSetIds.get(rules);
    if (id === undefined) {
      id = rules.every((r) => r.source !== undefined)
        ? createHash('sha256')
            .update(rules.map((r) => r.source).join('\n'))
            .digest('base64url')
        : `set#${++this.ruleSets}`;
      this.ruleSetIds.set(rules, id);
    }
    return id;
  }

  private readonly ruleSetIds = new WeakMap<readonly CompiledRule[], string>();
  private ruleSets = 0;

  /** The kind's list from the engine, with the stage (if any) run by the ranking core. */
  private async list(
    def: PlacementDefinition,
    context: PlacementContext,
    opts: ListOptions,
    now: Date,
    engine: ListEngine,
    excluded: ReadonlySet<string>,
    stage: ListStage | undefined,
  ): Promise<RecommendationList> {
    const recs = engine.recs;
    const pass = itemFilter((id) => this.catalog.get(id), opts, excluded);
    // The control any shop understands: the most bought items under the page's filters, whatever the kind.
    if (engine.popular) return recs.popular(opts, pass, 'popular', stage);
    switch (def.kind) {
      case 'for-you':
        return recs.forUser(context.userId!, forYouOptions(def, opts), now, undefined, stage);
      case 'similar':
        return recs.similar(context.itemId!, opts, stage);
      case 'search':
        return recs.session([], context.text, opts, now, stage);
      default: {
        // The kinds made here rank their own candidates; the core's last steps are the same for all.
        let strategy: string = def.kind;
        const list = await recs.staged(
          async (depth) => {
            const got = await this.candidates(def, context, { ...opts, limit: depth }, now, engine, pass);
            strategy = got.strategy;
            return got.items;
          },
          opts,
          def.kind,
          stage,
        );
        return { ...list, strategy };
      }
    }
  }

  /** The best `opts.limit` candidates of the kinds ranked here, best first, under the page's filters. */
  private async candidates(
    def: PlacementDefinition,
    context: PlacementContext,
    opts: ListOptions,
    now: Date,
    engine: ListEngine,
    pass: (id: string) => boolean,
  ): Promise<{ items: Candidate[]; strategy: string }> {
    const limit = opts.limit;
    const model = this.interactions.current();
    const recs = engine.recs;
    switch (def.kind) {
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
            diversity: 0,
            limit: limit - items.length,
            exclude: [...exclude],
          });
          if (items.length === 0) strategy = 'complements-vector';
          items.push(...fill.items);
        }
        return { items, strategy };
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
        return { items, strategy: 'buy-again' };
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
        return { items, strategy };
      }
      default: {
        // new-arrivals
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
        return { items, strategy: 'new-arrivals' };
      }
    }
  }
}

/** A for-you placement's options as the personalised list takes them. */
const forYouOptions = (def: PlacementDefinition, opts: ListOptions) => ({
  ...opts,
  excludePurchased: def.filters?.excludePurchased ?? false,
});

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
