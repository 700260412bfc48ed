import { Inject, Injectable, Optional } from '@nestjs/common';
import { LearningEvents } from '../events/learning-events.service';
import { ShopClock } from '../events/shop-clock';
import { CatalogSnapshot } from '../catalog/catalog-snapshot';
import { ItemsRepository } from '../catalog/items.repository';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EmbeddingsService } from '../embeddings/embeddings.service';
import { itemText } from '../embeddings/item-text';
import { IndexService } from '../vector-index/index.service';
import type { BlendWeights } from '../ranking/blend';
import {
  CANDIDATE_LIMITS,
  gatherCandidates,
  rankingHistory,
  type RankingSources,
} from '../ranking/candidates';
import { blendScoreOf, rankForList, reasonFor } from '../ranking/personalised-ranking';
import { newArrivalPlaces, type NewArrivalRule } from '../ranking/new-arrivals';
import type { ListStage } from '../ranking/list-stage';
import { NewArrivalExposure } from '../attribution/new-arrival-exposure';
import { ServingModel } from '../serving-model/serving-model';
import type { ListOptions } from './dto/options.schema';
import { itemFilter } from './filters';
import { ListSteps, type Candidate, type RankingIndex } from './list-steps';
import type { RecommendationList } from './response';
import { PurchaseSignalsService } from './purchase-signals.service';
import { placeText } from './session-vectors';
import { ProfileService } from './profile.service';
import { RecommendationCache } from './recommendation-cache';
import { ServedNewArrivals } from './served-new-arrivals';
import { SessionLists } from './session-lists';
import type { SessionSetCacheStats } from './session-set-cache';
import { SessionThread } from '../session-thread/session-thread.service';
import { SimilarLists } from './similar-lists';

type UserListOptions = ListOptions & { excludePurchased: boolean };

/** Everything in the options that changes a personalised list, except includeItems (added on the way out). */
function listKey(o: UserListOptions): string {
  return JSON.stringify([
    o.limit,
    o.category ?? null,
    o.minPrice ?? null,
    o.maxPrice ?? null,
    o.inStockOnly,
    [...o.exclude].sort(),
    o.explain,
    o.diversity,
    o.excludePurchased,
  ]);
}

/** A cache key of a list made with a rules stage: the options' and the stage's. */
const stagedKey = (key: string, stage: ListStage | undefined): string =>
  stage ? `${key}|${stage.key}` : key;

/**
 * Every kind of list a shopper is served: personalised (here), similar (SimilarLists) and session (SessionLists),
 * through the last steps they share (ListSteps); popular lists. The kinds live in their own files; this service
 * is their one injectable face.
 */
@Injectable()
export class RecommendationsService {
  /** New arrivals as serving sees them: the catalog's dates, NEW_ARRIVAL_DAYS and the explore/exploit rule. */
  readonly newArrivals: NewArrivalRule;
  private readonly steps: ListSteps;
  private readonly similarLists: SimilarLists;
  private readonly sessionLists: SessionLists;
  /** The unsold items by on-sale date: personalised lists read their new-arrival candidates there. */
  private readonly newArrivalPool: ServedNewArrivals;

  constructor(
    @Inject(IndexService) private readonly index: RankingIndex,
    private readonly snapshot: CatalogSnapshot,
    private readonly items: ItemsRepository,
    private readonly embeddings: EmbeddingsService,
    private readonly profiles: ProfileService,
    private readonly interactions: PurchaseSignalsService,
    private readonly cache: RecommendationCache,
    private readonly serving: ServingModel,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly exposure: NewArrivalExposure,
    private readonly learning: LearningEvents,
    private readonly clock: ShopClock,
    // Absent for a pinned version's engine: its index is not the served one the thread copies.
    @Optional() thread?: SessionThread,
  ) {
    this.newArrivals = {
      days: config.newArrivalDays,
      availableFrom: (id) => snapshot.get(id)?.availableFrom,
      exhausted: (id) => exposure.exhausted(id),
    };
    this.newArrivalPool = new ServedNewArrivals(snapshot, config.newArrivalDays);
    this.steps = new ListSteps(index, snapshot, items);
    this.similarLists = new SimilarLists(
      index,
      snapshot,
      interactions,
      serving,
      this.steps,
      (id) => this.itemVector(id),
      config.recsSimilarCacheItems,
    );
    this.sessionLists = new SessionLists(
      index,
      snapshot,
      items,
      embeddings,
      interactions,
      serving,
      config,
      this.newArrivals,
      this.steps,
      thread,
    );
  }

  /** Stops the similar and session lists following the catalog and the signals: for an engine that is dropped. */
  detach(): void {
    this.similarLists.detach();
    this.sessionLists.detach();
  }

  /** The served blend for a list: the defaults until a fine-tune tunes and activates its own. */
  servedBlend(opts: { excludePurchased: boolean }): BlendWeights {
    const m = this.serving.current();
    return opts.excludePurchased ? m.discoveryBlend : m.blend;
  }

  /** The served vector of an item; an item not indexed yet is embedded from its text on the spot. */
  async itemVector(id: string): Promise<Float32Array | undefined> {
    const indexed = this.index.vectorOf(id);
    if (indexed) return indexed;
    const item = await this.items.findById(id);
    if (!item) return undefined;
    return placeText(this.index, id, await this.embeddings.encodeText(itemText(item)));
  }

  /** A product page's similar list (SimilarLists.similar). */
  similar(itemId: string, opts: ListOptions, stage?: ListStage): Promise<RecommendationList> {
    return this.similarLists.similar(itemId, opts, stage);
  }

  /** Ranks and holds the similar lists of indexed items not held yet (SimilarLists.precomputeSimilar). */
  precomputeSimilar(stopped?: () => boolean): Promise<number> {
    return this.similarLists.precomputeSimilar(stopped);
  }

  /** How this server's held session candidate sets are used (RECS_SESSION_CACHE_MAX_BYTES). */
  sessionSetCacheStats(): SessionSetCacheStats {
    return this.sessionLists.setCacheStats();
  }

  /**
   * A session and/or a text query, for shoppers we do not know (SessionLists.session). A session the ranking
   * leaves short — its items unknown to the shop (deleted, not imported yet), or the filters leaving few
   * candidates — has its remaining places filled with popular items, as a user without history gets them: a
   * storefront's cart widget should never come back empty. A text query alone is not filled: popular items
   * do not answer "red lamp".
   */
  async session(
    itemIds: string[],
    text: string | undefined,
    opts: ListOptions,
    now = new Date(),
    stage?: ListStage,
  ): Promise<RecommendationList> {
    const list = await this.sessionLists.session(itemIds, text, opts, now, stage);
    if (itemIds.length === 0 || list.items.length >= opts.limit) return list;
    const shown = new Set(list.items.map((i) => i.id));
    const pass = itemFilter((id) => this.snapshot.get(id), opts, new Set([...itemIds, ...opts.exclude]));
    const fill = await this.popular(
      { ...opts, limit: opts.limit - list.items.length },
      (id) => pass(id) && (!stage || stage.admits(id)) && !shown.has(id),
      'popular-fallback',
    );
    if (list.items.length === 0) return { ...fill, ...(list.stage ? { stage: list.stage } : {}) };
    return { ...list, items: [...list.items, ...fill.items] };
  }

  /**
   * Personalised list: candidates from the profile's vector neighbours, co-purchase neighbours of the history,
   * the user's own purchases (re-orders) and popular items, scored by the blend; a user with no usable history
   * gets the popular list (`popular-fallback`).
   */
  async forUser(
    userId: string,
    opts: UserListOptions,
    now = new Date(),
    blend: BlendWeights = this.servedBlend(opts),
    stage?: ListStage,
  ): Promise<RecommendationList> {
    // Only lists of the present with the served blend are reused (not the evaluation's past or its variants).
    const cacheable =
      this.cache.enabled &&
      blend === this.servedBlend(opts) &&
      Math.abs(now.getTime() - Date.now()) < 60_000 &&
      (!stage || stage.key !== undefined);
    if (!cacheable) return this.computeForUser(userId, opts, now, blend, stage);
    const key = stagedKey(listKey(opts), stage);
    const inputs = this.cacheInputs(opts, stage);
    const hit = this.cache.get(userId, key, inputs);
    if (hit) {
      // Stock, deletions and price changes since the list was made show here; such a list is made afresh.
      const pass = itemFilter((id) => this.snapshot.get(id), opts, new Set(opts.exclude));
      if (hit.items.every((i) => pass(i.id))) return this.withRecords(hit, opts);
    }
    const ticket = this.cache.ticket();
    const list = await this.computeForUser(userId, opts, now, blend, stage);
    this.cache.set(
      userId,
      key,
      inputs,
      { ...list, items: list.items.map(({ item: _record, ...rest }) => rest) },
      ticket,
      Date.now(),
      // A rule whose window opens or closes changes the list then.
      stage?.expiresAt,
    );
    return list;
  }

  /**
   * What a cached list depends on besides the user's events. Not the index or purchase-signals objects:
   * catalog writes and new events replace those every few seconds on a busy shop; their drift (new items,
   * popularity) reaches cached lists through the TTL.
   */
  private cacheInputs(opts: UserListOptions, stage?: ListStage): unknown[] {
    return [
      ...(stage?.inputs ?? []),
      this.index.current()?.modelVersion,
      this.servedBlend(opts),
      // Lists made before the first co-purchase computation landed (a fresh start) lack a whole source.
      this.interactions.current().neighbourItems > 0,
      // An item that gained or lost its new-arrival place by the explore/exploit rule.
      this.exposure.generation,
      // Whether a shopper's discovery lists keep new-arrival places changes with the day (newArrivalPlaces);
      // the other lists have no such place and stay cached across midnight.
      opts.excludePurchased && this.config.recsNewItemShare > 0 && this.config.recsNewItemShare < 1
        ? Math.floor(Date.now() / 86_400_000)
        : 0,
    ];
  }

  /** Whether this user's list for these options is cached and young enough not to need warming again. */
  listIsFresh(userId: string, opts: UserListOptions, stage?: ListStage): boolean {
    return this.cache.isFresh(userId, stagedKey(listKey(opts), stage), this.cacheInputs(opts, stage));
  }

  private async withRecords(list: RecommendationList, opts: ListOptions): Promise<RecommendationList> {
    if (!opts.includeItems) return list;
    const records = new Map((await this.items.findMany(list.items.map((i) => i.id))).map((i) => [i.id, i]));
    return {
      ...list,
      items: list.items.map((i) => (records.get(i.id) ? { ...i, item: records.get(i.id) } : i)),
    };
  }

  private async computeForUser(
    userId: string,
    opts: UserListOptions,
    now: Date,
    blend: BlendWeights,
    stage?: ListStage,
  ): Promise<RecommendationList> {
    const profile = await this.profiles.profile(userId, now);
    const model = this.interactions.current();
    const history = rankingHistory(profile.items, CANDIDATE_LIMITS.history);
    const excluded = new Set(opts.exclude);
    if (opts.excludePurchased) for (const p of profile.items) if (p.purchases > 0) excluded.add(p.itemId);
    const pass = itemFilter((id) => this.snapshot.get(id), opts, excluded);
    if (history.length === 0) return this.popular(opts, pass, 'popular-fallback', stage);

    const vectorOf = this.index.vectorLookup();
    const sources: RankingSources = {
      signals: model,
      vectorOf,
      nearest: (v, k, accept) => this.index.search(v, k, accept),
      repeatHalfLifeDays: this.config.recsRepeatHalfLifeDays,
      newArrivals: this.newArrivals,
      newArrivalIds: (nowMs) => this.newArrivalPool.idsAt(nowMs, model),
      deferCosines: true,
    };
    const set = gatherCandidates(sources, history, now, pass, blend);
    // New arrivals reach the candidates only by their text (among the profile's nearest neighbours, and as the
    // new arrivals nearest to it); the popularity and trend terms then rank them below anything that sells. In
    // discovery lists (the customer asked for what they have not bought) of a share of shoppers each day
    // (RECS_NEW_ITEM_SHARE, newArrivalPlaces) a few places go to the best of them;
    // dead stock and arrivals shown often without a click are no new arrivals (NewArrivalRule). Lists that may
    // repeat purchases keep every place for the ranking: there a re-order outranks an unknown product
    // (measured: next-basket NDCG@10 0.2978 → 0.2886 with one place taken).
    // With a rules stage the same ranking is cut deeper (the stage's depth), so rules reach below the cut.
    const pool = opts.diversity > 0 ? Math.max(opts.limit * 4, 40) : opts.limit;
    const places = newArrivalPlaces(
      this.config.recsNewItemSlots,
      this.config.recsNewItemShare,
      userId,
      now.getTime(),
    );
    const candidates = (depth: number) =>
      rankForList(set, blend, {
        limit: opts.limit,
        pool: depth,
        newItemSlots: opts.excludePurchased ? places : 0,
      }).map((slot): Candidate => ({
        id: set.ids[slot],
        score: blendScoreOf(set, blend, slot),
        reason: opts.explain ? reasonFor(set, slot, blend, vectorOf, (id) => model.buyersOf(id)) : undefined,
      }));
    const list = await this.staged(candidates, opts, 'personalized', stage, pool);
    if (list.items.length < opts.limit) {
      const fill = await this.popular(
        { ...opts, limit: opts.limit - list.items.length },
        (id) => pass(id) && (!stage || stage.admits(id)) && !list.items.some((i) => i.id === id),
        'popular-fallback',
      );
      list.items.push(...fill.items);
    }
    return list;
  }

  /** GET /v1/popular: all-time from the purchase signals, or a `days` window counted in PostgreSQL (cached a minute). */
  async popularInWindow(opts: ListOptions & { days?: number }): Promise<RecommendationList> {
    const pass = itemFilter((id) => this.snapshot.get(id), opts, new Set(opts.exclude));
    if (opts.days === undefined) return this.popular(opts, pass);
    // Ending where trending ends: the shop's last days of sales when its latest one is older than the window
    // (trendingWindowEnd). A window is held a minute, and counted again at once when that anchor moves.
    const anchor = this.clock.anchoredAt;
    const end = anchor ?? new Date();
    const key = anchor ? `${opts.days}@${anchor.getTime()}` : `${opts.days}`;
    let cached = this.windowCache.get(key);
    if (!cached || Date.now() - cached.at > 60_000) {
      cached = {
        at: Date.now(),
        rows: await this.items.popularSince(
          new Date(end.getTime() - opts.days * 86_400_000),
          2000,
          await this.learning.types(),
        ),
      };
      this.windowCache.set(key, cached);
    }
    const out: Candidate[] = [];
    for (const r of cached.rows) {
      if (out.length >= opts.limit) break;
      if (pass(r.id))
        out.push({ id: r.id, score: Math.log1p(r.buyers), reason: { type: 'popular', buyers: r.buyers } });
    }
    return this.finish(out, { ...opts, diversity: 0 }, 'popular');
  }

  private readonly windowCache = new Map<
    string,
    { at: number; rows: Array<{ id: string; buyers: number }> }
  >();

  /** Most bought (by distinct buyers) items passing the rules. */
  async popular(
    opts: ListOptions,
    pass: (id: string) => boolean,
    strategy = 'popular',
    stage?: ListStage,
  ): Promise<RecommendationList> {
    const model = this.interactions.current();
    const ranked = (depth: number) => {
      const out: Candidate[] = [];
      for (const id of model.popular) {
        if (out.length >= depth) break;
        if (pass(id))
          out.push({
            id,
            score: Math.log1p(model.buyersOf(id)),
            reason: { type: 'popular', buyers: model.buyersOf(id) },
          });
      }
      return out;
    };
    return this.staged(ranked, { ...opts, diversity: 0 }, strategy, stage);
  }

  /** Vector search under the list's business rules; over-asks when diversity will re-rank. */
  searchVector(
    v: Float32Array,
    opts: ListOptions,
    excluded: ReadonlySet<string>,
    depth?: number,
  ): Candidate[] {
    return this.steps.searchVector(v, opts, excluded, depth);
  }

  /** A kind's ranked candidates through the list's last steps (ListSteps.staged). */
  staged(
    produce: (depth: number) => Candidate[] | Promise<Candidate[]>,
    opts: ListOptions,
    strategy: string,
    stage?: ListStage,
    pool = opts.limit,
  ): Promise<RecommendationList> {
    return this.steps.staged(produce, opts, strategy, stage, pool);
  }

  /** Diversity, explanations and embedded item records: the last steps every list goes through. */
  finish(
    candidates: Candidate[],
    opts: ListOptions,
    strategy: string,
    stage?: ListStage,
  ): Promise<RecommendationList> {
    return this.steps.finish(candidates, opts, strategy, stage);
  }
}
