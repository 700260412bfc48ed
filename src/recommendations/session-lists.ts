import { CatalogSnapshot } from '../catalog/catalog-snapshot';
import type { ItemsRepository } from '../catalog/items.repository';
import { dot, normalize } from '../common/vectors';
import type { AppConfig } from '../config/app-config';
import type { EmbeddingsService } from '../embeddings/embeddings.service';
import type { ListStage } from '../ranking/list-stage';
import { blendScore } from '../ranking/linear-blend';
import {
  isNewArrival,
  mayBeNewArrival,
  newArrivalPlaces,
  type NewArrivalRule,
} from '../ranking/new-arrivals';
import { gatherCandidateSet } from '../session-thread/gather';
import {
  packedExamined,
  packGathered,
  unpackGathered,
  type PackedSet,
  type UnpackedSet,
} from '../session-thread/packed-set';
import type { GatheredSet } from '../session-thread/session-thread.protocol';
import type { SessionThread } from '../session-thread/session-thread.service';
import {
  mainSource,
  rankSessionList,
  SESSION_BLEND_KEYS,
  sessionColumns,
  sessionQuery,
  type SessionSource,
} from '../ranking/session-ranking';
import type { ServingModel } from '../serving-model/serving-model';
import type { ListOptions } from './dto/options.schema';
import { itemFilter } from './filters';
import { vectorPool, type Candidate, type ListSteps, type RankingIndex } from './list-steps';
import type { PurchaseSignalsService } from './purchase-signals.service';
import type { Reason, RecommendationList } from './response';
import { SessionSetCache, type SessionSetCacheStats } from './session-set-cache';
import { sessionItemVectors, textQueryVector, type SessionVectorSources } from './session-vectors';

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

/** The served vectors of a session's items (session order) and its query vector (undefined when none has one). */
interface SessionVectors {
  vectors: Array<{ id: string; v: Float32Array }>;
  query: Float32Array | undefined;
}

/** Lists for shoppers we do not know: a session (cart, recently viewed) and/or a text query; see `session`. */
export class SessionLists {
  private readonly sets: SessionSetCache;
  private readonly unfollow: Array<() => void> = [];

  constructor(
    private readonly index: RankingIndex,
    private readonly snapshot: CatalogSnapshot,
    private readonly items: ItemsRepository,
    private readonly embeddings: EmbeddingsService,
    private readonly interactions: PurchaseSignalsService,
    private readonly serving: ServingModel,
    private readonly config: AppConfig,
    private readonly newArrivals: NewArrivalRule,
    private readonly steps: ListSteps,
    private readonly thread?: SessionThread,
  ) {
    this.sets = new SessionSetCache(config.recsSessionCacheMaxBytes, config.recsSessionCacheHoldFrom);
    if (thread) this.unfollow.push(interactions.onSwap((signals) => thread.signalsServed(signals)));
    // Synchronously with each change, before a request can read the changed snapshot.
    if (this.sets.enabled)
      this.unfollow.push(
        snapshot.onChange((changed, ruleFields) =>
          this.sets.catalogChanged(changed, (id) => this.interactions.current().rowOf(id), ruleFields),
        ),
      );
  }

  /**
   * Stops following the catalog and the signals, for lists no longer served (a pinned version's engine that is
   * dropped): their listeners would keep this object and its held sets alive.
   */
  detach(): void {
    for (const stop of this.unfollow.splice(0)) stop();
  }

  /** How the held candidate sets are used (RECS_SESSION_CACHE_MAX_BYTES). */
  setCacheStats(): SessionSetCacheStats {
    return this.sets.stats();
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
    const excluded = new Set([...itemIds, ...opts.exclude]);
    // Without a text query the session's vectors are read only when its set is gathered or its reasons named:
    // a held set needs neither.
    if (known.length > 0 && text === undefined)
      return this.sessionList(known, undefined, opts, excluded, now, stage);
    const prepared = await this.sessionVectors(known, text);
    // A text query changes the session vector: those sets are not held (the key has no room for the text).
    if (known.length > 0) return this.sessionList(known, prepared, opts, excluded, now, stage);
    const q = prepared.query ? normalize(prepared.query) : undefined;
    return this.steps.staged(
      (depth) =>
        (q ? this.steps.searchVector(q, opts, excluded, depth) : []).map((h): Candidate => ({
          ...h,
          reason: { type: 'matches-text' },
        })),
      opts,
      text && prepared.vectors.length === 0 ? 'semantic-search' : 'session',
      stage,
      vectorPool(opts),
    );
  }

  /** The served vectors of the session's known items and its query vector, with the text query's when given. */
  private async sessionVectors(known: string[], text: string | undefined): Promise<SessionVectors> {
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
    return { vectors, query };
  }

  /**
   * The session kind of the one ranking: the session vector's neighbours, co-purchase neighbours and learned
   * successors of the session's items (the last ones weighing most), trending and popular items, scored by
   * the session blend the active model version was tuned with (the defaults before any was). Each item's
   * reason names the source that weighed most in its score, and `strategy` the sources of the shown items.
   */
  private async sessionList(
    session: string[],
    withText: SessionVectors | undefined,
    opts: ListOptions,
    excluded: ReadonlySet<string>,
    now: Date,
    stage: ListStage | undefined,
  ): Promise<RecommendationList> {
    // Sets of sessions with a text query are not held; the others' vectors are read when first needed.
    const holdable = withText === undefined;
    let prepared: Promise<SessionVectors> | undefined = withText && Promise.resolve(withText);
    const prepare = () => (prepared ??= this.sessionVectors(session, undefined));
    const blend = this.serving.current().sessionBlend;
    const model = this.interactions.current();
    const rules = {
      category: opts.category,
      minPrice: opts.minPrice,
      maxPrice: opts.maxPrice,
      inStockOnly: opts.inStockOnly,
    };
    const cosFlat = blend.cosFlat !== 0;
    const pass = itemFilter((id) => this.snapshot.get(id), rules, excluded);
    const vectorOf = this.index.vectorLookup();
    // In-process, after the thread failed: the index may have been swapped while the request waited, so the
    // gathering reads the one served now, and a query made for another space is not searched with.
    const gather = (query: Float32Array | undefined): GatheredSet =>
      gatherCandidateSet(
        {
          signals: model,
          vectorOf: this.index.vectorLookup(),
          nearest: (v, k, accept, ef) => this.index.search(v, k, accept, ef),
          cosFlat,
          selectBy: blend,
        },
        session,
        query && this.index.current() === inputs[0] ? query : undefined,
        pass,
      );
    // What a gathering reads besides the request and the catalog (which drops held sets item by item): a held
    // set is reused only while neither changed.
    const inputs = [this.index.current(), model];
    const ticket = this.sets.ticket();
    const key =
      holdable && this.sets.enabled
        ? JSON.stringify([
            session,
            [...excluded].sort(),
            rules,
            cosFlat,
            // The set's sources are selected by their weights in the blend (SessionSources.selectBy).
            blend.knn,
            blend.knnRecent,
            blend.trans,
            blend.transRecent,
          ])
        : undefined;
    let packed: PackedSet | undefined = key === undefined ? undefined : this.sets.get(key, inputs);
    // The answer a cart got for this shape of request (no rules stage, no item records, which are read per
    // request, no diversity) is held with its set, or on its own after its first ask: a cart asked again on every
    // page costs a lookup.
    const shape =
      key !== undefined && !stage && !opts.includeItems && opts.diversity <= 0
        ? `${opts.limit}\u0000${opts.explain ? 1 : 0}`
        : undefined;
    if (shape !== undefined) {
      const answer = this.sets.answer(key!, shape, blend, now.getTime());
      if (answer) return answer;
    }
    let gathered: UnpackedSet;
    // A set gathered on the thread may lie in a slot of its arena, lent until the list is made (ThreadSet).
    let release: (() => void) | undefined;
    try {
      if (packed) gathered = unpackGathered(packed, session, model.idsByRow);
      else {
        // With every item in the served index, the thread makes the session's query from its copy of the same
        // vectors, as sessionVectors would: the main thread reads none of them. An item the index lacks is
        // embedded here from its text, and a text query joins the query: then the query is made here and sent.
        const served = this.index.current();
        const queryOfSession =
          this.thread !== undefined &&
          withText === undefined &&
          served !== undefined &&
          session.every((id) => served.has(id));
        const query = queryOfSession ? undefined : (await prepare()).query;
        const onThread = this.thread?.gather(this.index, model, {
          session,
          query,
          queryOfSession,
          rules,
          excluded: [...excluded],
          cosFlat,
          selectBy: blend,
        });
        // A thread that failed under the request (it stopped, or lost its index): the list is gathered here.
        const fromThread = onThread ? await onThread.catch(() => undefined) : undefined;
        packed = fromThread?.packed;
        release = fromThread?.release;
        // Asked once per gathering: a set gathered here is packed only when it will be held.
        const admitted = key !== undefined && this.sets.admits(key, inputs);
        if (!packed) {
          const here = gather(queryOfSession ? (await prepare()).query : query);
          packed = admitted ? packGathered(here, session) : undefined;
          gathered = here;
        } else gathered = unpackGathered(packed, session, model.idsByRow);
        if (admitted && packed)
          this.sets.set(
            key,
            inputs,
            packed,
            packedExamined(packed),
            ticket,
            rules.minPrice !== undefined || rules.maxPrice !== undefined,
          );
      }
      const { set, buyers } = gathered;
      // Only the reasons read the session items' vectors (which of them a vector neighbour is like).
      const vectors = opts.explain ? (await prepare()).vectors : [];
      // A new arrival can only be a candidate by its text, and every sales-based term ranks it below what
      // sells: as in discovery lists, up to RECS_NEW_ITEM_SLOTS places go to the best-ranked new arrivals, in a
      // share of lists (RECS_NEW_ITEM_SHARE) drawn by the cart itself: the same cart gets the same list all day.
      const pool = opts.diversity > 0 ? Math.max(opts.limit * 4, 40) : opts.limit;
      const isNew = (i: number) => isNewArrival(this.newArrivals, set.ids[i], buyers[i], now.getTime());
      // The draw of the places only matters to a set holding a new arrival (most carts' candidates have all sold),
      // and drawing costs a SHA-256 per list: the same lists, without it where it could not change them.
      let holdsNew = false;
      // And an answer ranking an item that is or may become a new arrival can change with the time and exposure.
      let timeless = true;
      for (let i = 0; i < set.size && !holdsNew; i++) {
        if (buyers[i] > 0) continue;
        holdsNew = isNew(i);
        if (mayBeNewArrival(this.newArrivals, set.ids[i], buyers[i], now.getTime())) timeless = false;
      }
      // With a rules stage every candidate stays ranked: the stage may ask for more than the pool.
      const order = rankSessionList(
        set,
        blend,
        {
          limit: opts.limit,
          pool: stage ? set.size : pool,
          newItemSlots: holdsNew
            ? newArrivalPlaces(
                this.config.recsNewItemSlots,
                this.config.recsNewItemShare,
                session.join('\u0000'),
                now.getTime(),
              )
            : 0,
        },
        isNew,
      );
      const sourceOf = new Map<string, SessionSource>();
      const columns = sessionColumns(set);
      const ranked = (depth: number) =>
        order.slice(0, depth).map((i): Candidate => {
          const id = set.ids[i];
          sourceOf.set(id, mainSource(set, blend, i));
          return {
            id,
            score: blendScore(columns, blend, SESSION_BLEND_KEYS, i),
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
      const list = await this.steps.staged(ranked, opts, 'session', stage, pool);
      // A pinned item may not be one of the candidates: it names no source.
      const sources = list.items.flatMap((i) => {
        const s = sourceOf.get(i.id);
        return s ? [s] : [];
      });
      // `list` is this request's own (finish made it): named in place rather than copied.
      list.strategy = sessionStrategy(sources);
      if (shape !== undefined && timeless)
        this.sets.holdAnswer(key!, inputs, shape, blend, list, now.getTime(), ticket);
      return list;
    } finally {
      release?.();
    }
  }
}
