import { CatalogSnapshot } from '../catalog/catalog-snapshot';
import { notFound } from '../common/problem';
import type { ListStage } from '../ranking/list-stage';
import {
  firstPassing,
  similarList,
  similarStrategy,
  type SimilarBlend,
  type SimilarList,
  type SimilarSource,
  type SimilarSources,
} from '../ranking/similar-ranking';
import type { PurchaseSignals } from '../ranking/purchase-signals';
import type { ServingModel } from '../serving-model/serving-model';
import type { ListOptions } from './dto/options.schema';
import { itemFilter } from './filters';
import { vectorPool, type Candidate, type ListSteps, type RankingIndex } from './list-steps';
import type { PurchaseSignalsService } from './purchase-signals.service';
import type { RecommendationList } from './response';
import { SimilarListCache } from './similar-list-cache';

/** Entries of a held similar list: the largest `limit` (100) a request can ask for. */
const SIMILAR_LIST_LENGTH = 100;

const SIMILAR_REASON: Record<SimilarSource, 'co-purchased-with' | 'bought-after' | 'similar-to'> = {
  'co-purchase': 'co-purchased-with',
  transitions: 'bought-after',
  vector: 'similar-to',
};

/** Similar lists (a product page's "items like this one"), held per indexed item; see `similar`. */
export class SimilarLists {
  private readonly similarLists: SimilarListCache;
  private readonly unfollow: () => void;

  constructor(
    private readonly index: RankingIndex,
    private readonly snapshot: CatalogSnapshot,
    private readonly interactions: PurchaseSignalsService,
    private readonly serving: ServingModel,
    private readonly steps: ListSteps,
    /** The served vector of an item, embedded on the spot when it is not indexed yet. */
    private readonly itemVector: (id: string) => Promise<Float32Array | undefined>,
    capacity: number,
  ) {
    this.similarLists = new SimilarListCache(capacity);
    // Synchronously with each change, before a request can read the changed snapshot.
    this.unfollow = snapshot.onChange(() => this.similarLists.catalogChanged());
  }

  /** Stops following the catalog, for lists no longer served (a pinned version's engine that is dropped). */
  detach(): void {
    this.unfollow();
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
    // A product page asks the same plain list of an item over and over: its answer is held until the held list's
    // inputs or the catalog change, and a request spends no ranking or list steps on it.
    const key = stage === undefined ? plainKey(itemId, opts) : undefined;
    let version = 0;
    if (key !== undefined && this.similarLists.enabled) {
      this.syncSimilarLists(blend);
      const answer = this.similarLists.finished(key);
      if (answer) return answer;
      version = this.similarLists.version;
    }
    let fromHeld = false;
    const pass = itemFilter((id) => this.snapshot.get(id), opts, new Set([itemId, ...opts.exclude]));
    const sourceOf = new Map<string, SimilarSource>();
    const out = await this.steps.staged(
      async (depth) => {
        const held = depth <= SIMILAR_LIST_LENGTH ? this.heldSimilarList(itemId, blend) : undefined;
        let list = held;
        let slots = held && firstPassing(held, depth, pass);
        fromHeld = slots !== undefined;
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
        // A reason is built only for a list that shows it (finish drops it otherwise).
        return slots.map((i): Candidate => ({
          id: ranked.ids[i],
          score: ranked.scores[i],
          reason: opts.explain ? { type: SIMILAR_REASON[ranked.sources[i]], itemIds: [itemId] } : undefined,
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
    // `out` is this request's own list (finish made it): named in place rather than copied.
    out.strategy = similarStrategy(sources);
    if (key !== undefined && fromHeld) this.similarLists.finish(key, out, version);
    return out;
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
    // A catalog larger than the lists held: the best sellers' pages, the most visited, are held first.
    const order =
      index.size > this.similarLists.capacity
        ? bestSellersFirst(index, this.interactions.current())
        : index.ids();
    for (const id of order) {
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
}

/**
 * The index's ids, those with the most distinct buyers first (ties in signals row order), then the ones nobody
 * bought in index order. A counting sort over buyer counts: one pass, where a comparison sort of a few hundred
 * thousand rows would hold the event loop for a fifth of a second.
 */
export function* bestSellersFirst(
  index: { ids(): IterableIterator<string>; has(id: string): boolean },
  signals: PurchaseSignals,
): Generator<string> {
  const buyers = signals.buyersAt;
  const ids = signals.idsByRow;
  // Whole counts of distinct buyers; rounded so that a count that is not whole cannot index outside `start`.
  const count = (r: number) => Math.max(0, Math.round(buyers[r]));
  let most = 0;
  for (let r = 0; r < buyers.length; r++) if (count(r) > most) most = count(r);
  // start[most − b]: where the rows with b buyers begin in `rows`, the most bought first.
  const start = new Int32Array(most + 2);
  for (let r = 0; r < buyers.length; r++) start[most - count(r) + 1] += 1;
  for (let b = 1; b < start.length; b++) start[b] += start[b - 1];
  const rows = new Int32Array(buyers.length);
  for (let r = 0; r < buyers.length; r++) rows[start[most - count(r)]++] = r;
  for (const r of rows) if (count(r) > 0 && index.has(ids[r])) yield ids[r];
  for (const id of index.ids()) {
    const r = signals.rowOf(id);
    if (r < 0 || count(r) === 0) yield id;
  }
}

/**
 * The key of a request whose answer can be held (SimilarListCache.finish): no rule but stock (the catalog's
 * changes drop held answers), no exclusions, no diversity, no item records (they are read per request).
 */
function plainKey(itemId: string, opts: ListOptions): string | undefined {
  if (
    opts.category !== undefined ||
    opts.minPrice !== undefined ||
    opts.maxPrice !== undefined ||
    opts.exclude.length > 0 ||
    opts.includeItems ||
    opts.diversity > 0
  )
    return undefined;
  return `${itemId}\u0000${opts.limit}\u0000${opts.explain ? 1 : 0}\u0000${opts.inStockOnly ? 1 : 0}`;
}
