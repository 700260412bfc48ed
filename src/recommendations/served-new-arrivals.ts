import { performance } from 'node:perf_hooks';
import type { ItemMeta } from '../catalog/catalog-snapshot';
import { NewArrivalPool } from '../ranking/new-arrival-source';
import type { PurchaseSignals } from '../ranking/purchase-signals';

const DAY_MS = 86_400_000;

/**
 * How far from the moment a pool is built for it serves requests: a day, so serving's moving clock rebuilds it
 * once a day for time alone, and the pool holds only a day's more dates than the window needs.
 */
const SLACK_MS = DAY_MS;

/**
 * A pool is rebuilt after a change no sooner than this many times its last build took: a shop whose catalog or
 * sales change every second spends at most a tenth of a core on it. (A pool of a small catalog takes well under
 * a millisecond, so there a change shows at the next list.)
 */
const REBUILD_SPACING = 10;

/** What the pool is built from: the live catalog (CatalogSnapshot). */
export interface CatalogDates {
  readonly generation: number;
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
  private buildMs = 0;

  constructor(
    private readonly catalog: CatalogDates,
    private readonly days: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** The items that may be new arrivals at `nowMs` by `signals`' sales (NewArrivalPool.at). */
  idsAt(nowMs: number, signals: PurchaseSignals): readonly string[] {
    const pool = this.pool;
    const changed = this.builtFor?.catalog !== this.catalog.generation || this.builtFor.signals !== signals;
    const due = this.clock() - this.builtAt >= REBUILD_SPACING * this.buildMs;
    if (!pool || !pool.covers(nowMs) || (changed && due)) return this.rebuild(nowMs, signals).at(nowMs);
    return pool.at(nowMs);
  }

  private rebuild(nowMs: number, signals: PurchaseSignals): NewArrivalPool {
    const started = this.clock();
    const catalog = this.catalog.generation;
    this.pool = NewArrivalPool.build(
      this.catalog.entries(),
      (id) => signals.buyersOf(id) > 0,
      this.days,
      nowMs,
      SLACK_MS,
    );
    this.builtFor = { catalog, signals };
    this.builtAt = this.clock();
    this.buildMs = this.builtAt - started;
    return this.pool;
  }
}
