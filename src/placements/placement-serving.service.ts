import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { CatalogSnapshot } from '../catalog/catalog-snapshot';
import { ItemsRepository } from '../catalog/items.repository';
import { ProblemException } from '../common/problem';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { ListOptions } from '../recommendations/dto/options.schema';
import { itemFilter } from '../recommendations/filters';
import { PurchaseSignalsService } from '../recommendations/purchase-signals.service';
import { ProfileService } from '../recommendations/profile.service';
import { RecommendationsService } from '../recommendations/recommendations.service';
import { ListWarmers } from '../recommendations/list-warmers';
import type { RecommendationList, StageSummary } from '../recommendations/response';
import type { ListStage } from '../ranking/list-stage';
import type { CompiledRule } from '../ranking/rules-stage';
import { IndexService } from '../vector-index/index.service';
import {
  DEFAULT_PLACEMENT_LIMIT,
  type PlacementContext,
  type PlacementDefinition,
} from './dto/placement.schema';
import { PinnedEngines } from './pinned-engines';
import type { PlacementItem, PlacementList, ServeOptions, ServeVariant } from './placement-list';

export type { PlacementItem, PlacementList, ServeOptions, ServeVariant };
import { ItemFieldsSnapshot } from './item-fields.snapshot';
import { compileRules } from './rules/compile-rules';
import { placementStage } from './rules/placement-stage';
import { PlacementsService } from './placements.service';
import { PlacementCandidates, type Candidate } from './placement-candidates';
import { requireContext } from './placement-context';
import { RuleSets } from './rule-sets';

/** What produces a list's candidates: an engine (the active one, or a version's own) or the popular list. */
interface ListEngine {
  recs: RecommendationsService;
  popular: boolean;
  /** The version the list is ranked with (null: raw text vectors). */
  version: () => string | null;
}

interface Run {
  items: Array<Candidate & { rules: string[] }>;
  strategy: string;
  modelVersion: string | null;
  stage: StageSummary;
}

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
  private readonly kinds: PlacementCandidates;
  private readonly ruleSets: RuleSets;

  constructor(
    private readonly placements: PlacementsService,
    private readonly recs: RecommendationsService,
    interactions: PurchaseSignalsService,
    private readonly profiles: ProfileService,
    private readonly catalog: CatalogSnapshot,
    private readonly fields: ItemFieldsSnapshot,
    private readonly items: ItemsRepository,
    private readonly index: IndexService,
    private readonly pinned: PinnedEngines,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly warmers: ListWarmers,
  ) {
    this.kinds = new PlacementCandidates(interactions, profiles, catalog, fields, config);
    this.ruleSets = new RuleSets(fields);
  }

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
      rules: this.ruleSets.memoized(rules),
      rulesId: this.ruleSets.id(rules),
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
      case 'complements':
        // A cart, or the item of a product page: the session kind of the one ranking (co-purchase neighbours,
        // learned successors, vector neighbours, trending and new arrivals under the session blend the fine-tune
        // tuned), as POST /v1/recommendations ranks it. Ranked by co-purchase sums alone, as it was, it was the
        // item-kNN baseline the session list beats (`aisle eval`, session protocol).
        return recs.session(context.itemIds ?? [context.itemId!], undefined, opts, now, stage);
      case 'search':
        return recs.session([], context.text, opts, now, stage);
      default: {
        // The kinds made here rank their own candidates; the core's last steps are the same for all.
        let strategy: string = def.kind;
        const list = await recs.staged(
          async (depth) => {
            const got = await this.kinds.candidates(def, context, { ...opts, limit: depth }, now, pass);
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
}

/** A for-you placement's options as the personalised list takes them. */
const forYouOptions = (def: PlacementDefinition, opts: ListOptions) => ({
  ...opts,
  excludePurchased: def.filters?.excludePurchased ?? false,
});
