import { Inject, Injectable } from '@nestjs/common';
import { CatalogSnapshot } from '../catalog/catalog-snapshot';
import { ItemsRepository } from '../catalog/items.repository';
import { notFound } from '../common/problem';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EmbeddingsService } from '../embeddings/embeddings.service';
import { itemText } from '../embeddings/item-text';
import { IndexService } from '../vector-index/index.service';
import { dot, normalize } from '../common/vectors';
import type { BlendWeights } from '../ranking/blend';
import {
  CANDIDATE_LIMITS,
  gatherCandidates,
  rankingHistory,
  type RankingSources,
} from '../ranking/candidates';
import { blendScoreOf, rankForList, reasonFor } from '../ranking/personalised-ranking';
import {
  gatherSessionCandidates,
  mainSource,
  rankSessionList,
  sessionQuery,
  sessionScoreOf,
  type SessionSource,
} from '../ranking/session-ranking';
import {
  firstPassing,
  similarList,
  similarStrategy,
  type SimilarBlend,
  type SimilarList,
  type SimilarSource,
  type SimilarSources,
} from '../ranking/similar-ranking';
import { isNewArrival, type NewArrivalRule } from '../ranking/new-arrivals';
import { deeper, MAX_STAGE_DEPTH, type ListStage } from '../ranking/list-stage';
import { NewArrivalExposure } from '../attribution/new-arrival-exposure';
import { ServingModel } from '../serving-model/serving-model';
import { mmr, type Scored } from './diversity';
import type { ListOptions } from './dto/options.schema';
import { itemFilter } from './filters';
import type { Reason, RecommendationList, RecommendedItem, StageSummary } from './response';
import { PurchaseSignalsService } from './purchase-signals.service';
import { ProfileService } from './profile.service';
import { RecommendationCache } from './recommendation-cache';
import { SimilarListCache } from './similar-list-cache';
import { sessionItemVectors, textQueryVector, type SessionVectorSources } from './session-vectors';

type UserListOptions = ListOptions & { excludePurchased: boolean };

/** Entries of a held similar list: the largest `limit` (100) a request can ask for. */
const SIMILAR_LIST_LENGTH = 100;

const SIMILAR_REASON: Record<SimilarSource, 'co-purchased-with' | 'bought-after' | 'similar-to'> = {
  'co-purchase': 'co-purchased-with',
  transitions: 'bought-after',
  vector: 'similar-to',
};

const SOURCE_ORDER: readonly SessionSource[] = [
  'transitions',
  'co-purchase',
  'vector',
  'trending',
  'popular',
];

/**
 * The `strategy` of a session list: `session`, then the sources its items came from (the main source of
 * each, as its reason names it), e.g. `session:transitions+co-purchase+vector`.
 */
export function sessionStrategy(sources: readonly SessionSource[]): string {
  const used = SOURCE_ORDER.filter((s) => sources.includes(s));
  return used.length > 0 ? `session:${used.join('+')}` : 'session';
}

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

/** What ranking reads of an index: the served one, or a version served by name (vector-index/pinned-index). */
export type RankingIndex = Pick<
  IndexService,
  'current' | 'vectorOf' | 'vectorLookup' | 'currentProjection' | 'search'
>;

export interface Candidate extends Scored {
  reason?: Reason;
}

/** How many vector neighbours a list asks for: more than its limit when diversity will re-rank. */
const vectorPool = (opts: ListOptions): number =>
  opts.diversity > 0 ? Math.min(300, opts.limit * 4) : opts.limit;

/** A cache key of a list made with a rules stage: the options' and the stage's. */
const stagedKey = (key: string, stage: ListStage | undefined): string =>
  stage ? `${key}|${stage.key}` : key;

/** Similar items and anonymous sessions (vector search with business rules, diversity and reasons). */
@Injectable()
export class RecommendationsService {
  /** New arrivals as serving sees them: the catalog's dates, NEW_ARRIVAL_DAYS and the explore/exploit rule. */
  readonly newArrivals: NewArrivalRule;
  private readonly similarLists: SimilarListCache;

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
  ) {
    this.similarLists = new SimilarListCache(config.recsSimilarCacheItems);
    this.newArrivals = {
      days: config.newArrivalDays,
      availableFrom: (id) => snapshot.get(id)?.availableFrom,
      exhausted: (id) => exposure.exhausted(id),
    };
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
    const text = await this.embeddings.encodeText(itemText(item));
    const proj = this.index.currentProjection();
    return proj && proj.dimension !== text.length
      ? undefined
      : normalize(proj ? proj.project(id, text) : text);
  }

  /**
   * The similar kind of the one ranking (ranking/similar-ranking.ts): the item's co-purchase neighbours, its
   * successors and its vector neighbours, scored by the similar blend. Each indexed item's list is ranked once
   * per index, co-purchase generation and blend, unfiltered, and held (SimilarListCache); a request filters
   * the held list and ranks afresh under its filters only when too few of it pass (or a rules stage asks for
   * more candidates than a held list has).
   */
  async similar(itemId: string, opts: ListOptions, stage?: ListStage): Promise<RecommendationList> {
    if (!this.snapshot.get(itemId)) throw notFound(`Item "${itemId}"`);
    const blend = this.serving.current().similarBlend;
    const pass = itemFilter((id) => this.snapshot.get(id), opts, new Set([itemId, ...opts.exclude]));
    const sourceOf = new Map<string, SimilarSource>();
    const out = await this.staged(
      async (depth) => {
        const held = depth <= SIMILAR_LIST_LENGTH ? this.heldSimilarList(itemId, blend) : undefined;
        let list = held;
        let slots = held && firstPassing(held, depth, pass);
        if (!list || !slots) {
          list = similarList(
            this.similarSources(),
            itemId,
            await this.itemVector(itemId),
            pass,
            blend,
            depth,
          );
          slots = list.ids.map((_, i) => i);
        }
        const ranked = list;
        for (const i of slots) sourceOf.set(ranked.ids[i], ranked.sources[i]);
        return slots.map((i): Candidate => ({
          id: ranked.ids[i],
          score: ranked.scores[i],
          reason: { type: SIMILAR_REASON[ranked.sources[i]], itemIds: [itemId] },
        }));
      },
      opts,
      'similar',
      stage,
      vectorPool(opts),
    );
    // A pinned item may not be one of the candidates: it names no source.
    const sources = out.items.flatMap((i) => {
      const s = sourceOf.get(i.id);
      return s ? [s] : [];
    });
    return { ...out, strategy: similarStrategy(sources) };
  }

  private similarSources(): SimilarSources {
    return {
      signals: this.interactions.current(),
      vectorOf: this.index.vectorLookup(),
      nearest: (v, k, accept) => this.index.search(v, k, accept),
    };
  }

  /** The inputs a held similar list was ranked with: any change drops every held list. */
  private syncSimilarLists(blend: SimilarBlend): void {
    this.similarLists.sync([this.index.current(), this.interactions.neighboursGeneration(), blend]);
  }

  /** The held (or now ranked and held) unfiltered list of an indexed item; undefined when not held. */
  private heldSimilarList(itemId: string, blend: SimilarBlend): SimilarList | undefined {
    if (!this.similarLists.enabled) return undefined;
    this.syncSimilarLists(blend);
    const held = this.similarLists.get(itemId);
    if (held) return held;
    const v = this.index.vectorOf(itemId);
    // An item not indexed yet is embedded per request; its list waits for the index.
    if (!v) return undefined;
    const list = similarList(
      this.similarSources(),
      itemId,
      v,
      (id) => this.snapshot.get(id) !== undefined,
      blend,
      SIMILAR_LIST_LENGTH,
    );
    this.similarLists.set(itemId, list);
    return list;
  }

  /**
   * Ranks and holds the similar lists of indexed items not held yet, up to the cache's capacity, in slices
   * of about 10 ms between requests (the warmer calls it after its pass). Returns how many it ranked.
   */
  async precomputeSimilar(stopped: () => boolean = () => false): Promise<number> {
    const index = this.index.current();
    if (!this.similarLists.enabled || !index) return 0;
    const blend = this.serving.current().similarBlend;
    this.syncSimilarLists(blend);
    let ranked = 0;
    let sliceStart = Date.now();
    for (const id of index.ids()) {
      if (stopped() || this.similarLists.size >= this.similarLists.capacity) break;
      if (this.index.current() !== index || this.serving.current().similarBlend !== blend) break;
      if (this.similarLists.has(id) || !this.snapshot.get(id)) continue;
      this.heldSimilarList(id, blend);
      ranked += 1;
      if (Date.now() - sliceStart >= 10) {
        // Requests queued meanwhile go first.
        await new Promise<void>((r) => setImmediate(r));
        this.syncSimilarLists(blend);
        sliceStart = Date.now();
      }
    }
    return ranked;
  }

  private vectorSources(): SessionVectorSources {
    return { index: this.index, items: this.items, embeddings: this.embeddings };
  }

  /** A session and/or a text query, for shoppers we do not know; `now` decides which items are new arrivals. */
  async session(
    itemIds: string[],
    text: string | undefined,
    opts: ListOptions,
    now = new Date(),
    stage?: ListStage,
  ): Promise<RecommendationList> {
    const known = itemIds.filter((id) => this.snapshot.get(id));
    const vectors = await sessionItemVectors(this.vectorSources(), known, this.config.sessionEmbedMax);
    // Later items weigh more: the last thing looked at says most about what the shopper wants now.
    let query = sessionQuery(vectors.map((x) => x.v));
    if (text) {
      const t = await textQueryVector(this.vectorSources(), text, this.snapshot);
      if (!query) query = t;
      else {
        for (let j = 0; j < query.length; j++) query[j] = (query[j] + t[j]) / 2;
        query = normalize(query);
      }
    }
    const excluded = new Set([...itemIds, ...opts.exclude]);
    if (known.length > 0) return this.sessionList(known, vectors, query, opts, excluded, now, stage);
    const q = query ? normalize(query) : undefined;
    return this.staged(
      (depth) =>
        (q ? this.searchVector(q, opts, excluded, depth) : []).map((h): Candidate => ({
          ...h,
          reason: { type: 'matches-text' },
        })),
      opts,
      text && vectors.length === 0 ? 'semantic-search' : 'session',
      stage,
      vectorPool(opts),
    );
  }

  /**
   * The session kind of the one ranking: the session vector's neighbours, co-purchase neighbours and learned
   * successors of the session's items (the last ones weighing most), trending and popular items, scored by
   * the session blend the active model version was tuned with (the defaults before any was). Each item's
   * reason names the source that weighed most in its score, and `strategy` the sources of the shown items.
   */
  private async sessionList(
    session: string[],
    vectors: Array<{ id: string; v: Float32Array }>,
    query: Float32Array | undefined,
    opts: ListOptions,
    excluded: ReadonlySet<string>,
    now: Date,
    stage?: ListStage,
  ): Promise<RecommendationList> {
    const blend = this.serving.current().sessionBlend;
    const model = this.interactions.current();
    const pass = itemFilter((id) => this.snapshot.get(id), opts, excluded);
    const vectorOf = this.index.vectorLookup();
    const set = gatherSessionCandidates(
      { signals: model, vectorOf, nearest: (v, k, accept) => this.index.search(v, k, accept) },
      session,
      query,
      pass,
    );
    // A new arrival can only be a candidate by its text, and every sales-based term ranks it below what
    // sells: as in discovery lists, up to RECS_NEW_ITEM_SLOTS places go to the best-ranked new arrivals.
    const pool = opts.diversity > 0 ? Math.max(opts.limit * 4, 40) : opts.limit;
    const isNew = (i: number) =>
      isNewArrival(this.newArrivals, set.ids[i], model.buyersOf(set.ids[i]), now.getTime());
    // With a rules stage every candidate stays ranked: the stage may ask for more than the pool.
    const order = rankSessionList(
      set,
      blend,
      { limit: opts.limit, pool: stage ? set.size : pool, newItemSlots: this.config.recsNewItemSlots },
      isNew,
    );
    const sourceOf = new Map<string, SessionSource>();
    const ranked = (depth: number) =>
      order.slice(0, depth).map((i): Candidate => {
        const id = set.ids[i];
        sourceOf.set(id, mainSource(set, blend, i));
        return {
          id,
          score: sessionScoreOf(set, blend, i),
          reason: opts.explain ? sessionReason(i) : undefined,
        };
      });
    function sessionReason(i: number): Reason {
      const id = set.ids[i];
      switch (mainSource(set, blend, i)) {
        case 'transitions':
          return { type: 'bought-after', itemIds: [set.transVia[i]!] };
        case 'co-purchase':
          return { type: 'co-purchased-with', itemIds: [set.knnVia[i]!] };
        case 'vector': {
          if (vectors.length === 0) return { type: 'matches-text' };
          const hv = vectorOf(id);
          const best = hv
            ? vectors.reduce((a, b) => (dot(b.v, hv) > dot(a.v, hv) ? b : a))
            : vectors[vectors.length - 1];
          return { type: 'similar-to', itemIds: [best.id] };
        }
        default:
          return { type: 'popular', buyers: model.buyersOf(id) };
      }
    }
    const list = await this.staged(ranked, opts, 'session', stage, pool);
    // A pinned item may not be one of the candidates: it names no source.
    const sources = list.items.flatMap((i) => {
      const s = sourceOf.get(i.id);
      return s ? [s] : [];
    });
    return { ...list, strategy: sessionStrategy(sources) };
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
      this.index.current()?.info.modelVersion,
      this.servedBlend(opts),
      // Lists made before the first co-purchase computation landed (a fresh start) lack a whole source.
      this.interactions.current().neighbourItems > 0,
      // An item that gained or lost its new-arrival place by the explore/exploit rule.
      this.exposure.generation,
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
      deferCosines: true,
    };
    const set = gatherCandidates(sources, history, now, pass);
    // New arrivals reach the candidates only as the profile's nearest neighbours by text; the popularity and
    // trend terms then rank them below anything that sells. In discovery lists (the customer asked for what
    // they have not bought) a few places go to the best of them; dead stock and arrivals shown often without a
    // click are no new arrivals (NewArrivalRule). Lists that may repeat purchases keep every place for the
    // ranking: there a re-order outranks an unknown product (measured: next-basket NDCG@10 0.2978 → 0.2886
    // with one place taken).
    // With a rules stage the same ranking is cut deeper (the stage's depth), so rules reach below the cut.
    const pool = opts.diversity > 0 ? Math.max(opts.limit * 4, 40) : opts.limit;
    const candidates = (depth: number) =>
      rankForList(set, blend, {
        limit: opts.limit,
        pool: depth,
        newItemSlots: opts.excludePurchased ? this.config.recsNewItemSlots : 0,
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
    const key = opts.days;
    let cached = this.windowCache.get(key);
    if (!cached || Date.now() - cached.at > 60_000) {
      cached = {
        at: Date.now(),
        rows: await this.items.popularSince(new Date(Date.now() - key * 86_400_000), 2000),
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
    number,
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
    const items: RecommendedItem[] = chosen.map((c) => ({
      id: c.id,
      score: Math.round(c.score * 1e6) / 1e6,
      ...(opts.explain && c.reason ? { reason: c.reason } : {}),
      ...(c.rules ? { rules: c.rules } : {}),
      ...(records?.get(c.id) ? { item: records.get(c.id) } : {}),
    }));
    return {
      items,
      modelVersion: index?.info.modelVersion ?? null,
      strategy,
      ...(staged ? { stage: staged.summary } : {}),
    };
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
