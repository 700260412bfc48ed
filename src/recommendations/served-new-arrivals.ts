import { performance } from 'node:perf_hooks';
import type { ItemMeta } from '../catalog/catalog-snapshot';
import { NewArrivalPool } from '../ranking/new-arrival-source';
import { nextTurn, runPaced } from '../ranking/paced';
import type { PurchaseSignals } from '../ranking/purchase-signals';

const DAY_MS = 86_400_000;

/**
 * How far from the moment a pool is built for it serves requests: a day, so serving's moving clock rebuilds it
 * once a day for time alone, and the pool holds only a day's more dates than the window needs.
 */
const SLACK_MS = DAY_MS;

/**
 * A larger catalog's pool is rebuilt after a change no sooner than this many times its last build took: a shop
 * whose catalog or sales change every second spends at most a tenth of a core on it.
 */
const REBUILD_SPACING = 10;

/**
 * A larger catalog's pool whose last build took longer than this is rebuilt after a change a slice at a time
 * between requests, the old one served meanwhile, rather than within the request that found it stale: ~100 ms on
 * a fresh 100,000-item catalog, where every list waiting behind that request waited as long.
 */
const SYNC_BUILD_MS = 10;

/**
 * A catalog of at most this many items has its pool rebuilt at once, by the first list after any change, so a
 * write shows in the next list. Decided by size, not by the last build's time: a server's first build runs cold
 * (4,000 items, two thirds unsold: 7 ms cold, 3 ms warm on two busy cores), and judged by it the next change's
 * list was served the stale pool while a background build ran. At this size a build costs ~5–8 ms even when
 * most of the catalog is unsold and on sale within the window (a fresh catalog), and a few hundred microseconds
 * when most of it sells.
 */
export const SYNC_BUILD_ITEMS = 10_000;

/** What the pool is built from: the live catalog (CatalogSnapshot). */
export interface CatalogDates {
  readonly generation: number;
  readonly size: number;
  entries(): Iterable<[string, ItemMeta]>;
}

/**
 * The served catalog's unsold items by on-sale date (NewArrivalPool), which the new-arrival candidate source of
 * personalised lists reads instead of the catalog. Built on the first list after the catalog or the purchase
 * signals changed, and for a moment more than a day from the one it was built for (`aisle eval` and tests ask in
 * the past). Between rebuilds an item sold since is still in it; the ranking's isNewArrival drops it.
 */
export class ServedNewArrivals {
  private pool: NewArrivalPool | undefined;
  private builtFor: { catalog: number; signals: PurchaseSignals } | undefined;
  private builtAt = 0;
  /** The last build's working time (a paced build's slices, not the requests served between them). */
  private buildMs = 0;
  private building: Promise<void> | undefined;
  /** Bumped by every pool put in place: a background build keeps its pool only if none was meanwhile. */
  private pools = 0;

  constructor(
    private readonly catalog: CatalogDates,
    private readonly days: number,
    private readonly clock: () => number = () => performance.now(),
    private readonly between: () => Promise<void> = nextTurn,
  ) {}

  /**
   * The items that may be new arrivals at `nowMs` by `signals`' sales (NewArrivalPool.at). A pool rebuilt in the
   * background (a catalog above SYNC_BUILD_ITEMS whose last build was slow) misses the items written since the one served was built until it is in place;
   * an item sold since is dropped by the ranking's isNewArrival either way.
   */
  idsAt(nowMs: number, signals: PurchaseSignals): readonly string[] {
    const pool = this.pool;
    if (!pool || !pool.covers(nowMs)) return this.rebuildNow(nowMs, signals).at(nowMs);
    const changed = this.builtFor?.catalog !== this.catalog.generation || this.builtFor.signals !== signals;
    if (!changed) return pool.at(nowMs);
    if (this.catalog.size <= SYNC_BUILD_ITEMS) return this.rebuildNow(nowMs, signals).at(nowMs);
    if (this.clock() - this.builtAt >= REBUILD_SPACING * this.buildMs) {
      if (this.buildMs <= SYNC_BUILD_MS) return this.rebuildNow(nowMs, signals).at(nowMs);
      this.building ??= this.rebuildPaced(nowMs, signals).finally(() => (this.building = undefined));
    }
    return pool.at(nowMs);
  }

  /** Resolves when no background rebuild is running (tests, benchmarks). */
  async settled(): Promise<void> {
    while (this.building) await this.building;
  }

  private rebuildNow(nowMs: number, signals: PurchaseSignals): NewArrivalPool {
    const started = this.clock();
    const catalog = this.catalog.generation;
    const pool = NewArrivalPool.build(
      this.catalog.entries(),
      (id) => signals.buyersOf(id) > 0,
      this.days,
      nowMs,
      SLACK_MS,
    );
    this.use(pool, catalog, signals, this.clock() - started);
    return pool;
  }

  private async rebuildPaced(nowMs: number, signals: PurchaseSignals): Promise<void> {
    const catalog = this.catalog.generation;
    const before = this.pools;
    let working = 0;
    let sliceFrom = this.clock();
    const pool = await runPaced(
      NewArrivalPool.buildPaced(
        this.catalog.entries(),
        (id) => signals.buyersOf(id) > 0,
        this.days,
        nowMs,
        SLACK_MS,
      ),
      async () => {
        working += this.clock() - sliceFrom;
        await this.between();
        sliceFrom = this.clock();
      },
    );
    working += this.clock() - sliceFrom;
    // A pool built at once meanwhile (a list asked for a moment this one did not cover) is newer.
    if (this.pools !== before) return;
    this.use(pool, catalog, signals, working);
  }

  private use(pool: NewArrivalPool, catalog: number, signals: PurchaseSignals, buildMs: number): void {
    this.pool = pool;
    this.pools += 1;
    this.builtFor = { catalog, signals };
    this.builtAt = this.clock();
    this.buildMs = buildMs;
  }
}
