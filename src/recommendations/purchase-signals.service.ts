import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Subscription } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { CopurchaseJob } from '../copurchase/copurchase.job';
import { CopurchaseRepository } from '../copurchase/copurchase.repository';
import { LearningEvents } from '../events/learning-events.service';
import { UserChanges } from '../events/user-changes';
import { LONG_RUNNING_SERVER } from '../common/long-running-server';
import { CHANNELS } from '../sync/change-channels';
import { ChangeFeed } from '../sync/change-feed';
import { ShopClock } from '../events/shop-clock';
import { PurchaseSignals, TRENDING_DAYS, type ItemBuyerCounts } from '../ranking/purchase-signals';
import { nextTurn } from '../ranking/paced';

/** An erasure is rare and must leave popular lists promptly; this only collects a burst of them. */
const ERASURE_DELAY_MS = 100;

/**
 * Holds the shop-wide purchase signals. Popularity and trending come from one SQL aggregate (cheap: one row
 * per item), refreshed every STATS_REFRESH_MS and shortly after new purchases. Co-purchase neighbours are
 * computed by the co-purchase job and read from item_neighbours: at start-up, when this process's job writes
 * them, when the change feed announces a computation stored by any process, and (a safety net) when a check
 * every SYNC_INTERVAL_MS sees a generation not loaded yet. Every refresh swaps a new model in whole; requests
 * never wait on one.
 */
@Injectable()
export class PurchaseSignalsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('PurchaseSignals');
  private model = PurchaseSignals.empty();
  private readonly swapListeners = new Set<(signals: PurchaseSignals) => void>();
  /** Generation of the co-purchase computation in `model` (null: none loaded). */
  private generation: string | null = null;
  private statsTimer: NodeJS.Timeout | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private pendingDue = 0;
  /** How long the last popularity aggregate took. */
  private countsMs = 0;
  private readonly subs: Subscription[] = [];
  /** Set when the module is destroyed: a load still running then loses its database under it. */
  private closing = false;
  /** Serialises neighbour loads so a slow one never swaps an older computation over a newer one. */
  private loading: Promise<unknown> = Promise.resolve();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LONG_RUNNING_SERVER) private readonly polling: boolean,
    private readonly store: CopurchaseRepository,
    private readonly learning: LearningEvents,
    private readonly clock: ShopClock,
    copurchase: CopurchaseJob,
    changes: UserChanges,
    @Optional() feed?: ChangeFeed,
  ) {
    // New purchases reach popularity within seconds; co-purchase follows when its job has run. The delay grows
    // with the aggregate's cost (≈1 s of database time on a 400k-purchase history), so a steady stream of
    // purchases keeps the database at most ~10 % busy with it. An erasure is counted out at once. Both come
    // from any process, through the change feed.
    this.subs.push(
      changes.activity$.subscribe((a) => {
        if (!this.polling) return;
        this.scheduleCounts(a.erased ? ERASURE_DELAY_MS : Math.max(2000, this.countsMs * 10));
      }),
      copurchase.built$.subscribe(() => {
        // Commands (eval) load explicitly through refresh(); only servers follow the job on their own.
        if (!this.polling) return;
        this.syncNeighbours().catch(this.failed('co-purchase load'));
      }),
    );
    if (feed && this.polling)
      this.subs.push(
        feed.on(CHANNELS.copurchase).subscribe(() => {
          this.syncNeighbours().catch(this.failed('co-purchase load'));
        }),
        feed.resync$.subscribe(() => {
          this.refresh().catch(this.failed('purchase signals refresh'));
        }),
      );
  }

  /** Re-counts after `delayMs`, or sooner if a re-count is already due sooner; bursts share one re-count. */
  private scheduleCounts(delayMs: number): void {
    const due = Date.now() + delayMs;
    if (this.pending && this.pendingDue <= due) return;
    if (this.pending) clearTimeout(this.pending);
    this.pendingDue = due;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.refreshCounts().catch(this.failed('popularity refresh'));
    }, delayMs);
    this.pending.unref();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.polling) return;
    await this.refresh();
    if (this.config.statsRefreshMs > 0) {
      this.statsTimer = setInterval(() => {
        this.refreshCounts().catch(this.failed('popularity refresh'));
      }, this.config.statsRefreshMs);
      this.statsTimer.unref();
    }
    this.syncTimer = setInterval(() => {
      this.syncNeighbours().catch(this.failed('co-purchase sync'));
    }, this.config.syncIntervalMs);
    this.syncTimer.unref();
  }

  /**
   * How a background refresh's failure is reported: an error, unless the server is closing. A refresh that a
   * change started just before a shutdown loses its connection when the database closes; that is no fault.
   */
  private failed(what: string): (e: unknown) => void {
    return (e) => {
      const message = `${what} failed: ${(e as Error).message}`;
      if (this.closing) this.logger.debug(`${message} (the server is closing)`);
      else this.logger.error(message);
    };
  }

  onModuleDestroy(): void {
    this.closing = true;
    for (const s of this.subs) s.unsubscribe();
    if (this.pending) clearTimeout(this.pending);
    if (this.statsTimer) clearInterval(this.statsTimer);
    if (this.syncTimer) clearInterval(this.syncTimer);
  }

  current(): PurchaseSignals {
    return this.model;
  }

  /** Calls `listener` with the signals each time new ones are swapped in; returns the unsubscribe. */
  onSwap(listener: (signals: PurchaseSignals) => void): () => void {
    this.swapListeners.add(listener);
    return () => this.swapListeners.delete(listener);
  }

  private swap(next: PurchaseSignals): void {
    this.model = next;
    for (const l of this.swapListeners) l(next);
  }

  /**
   * Swaps in what `make` builds from the signals served now, a slice at a time between requests (on a large shop
   * a build took the event loop for ~125 ms). Should other signals be swapped in meanwhile (a popularity refresh
   * while a co-purchase load builds), the build starts again from those, so neither change is lost.
   */
  private async swapPaced(
    make: (base: PurchaseSignals, between: () => Promise<void>) => Promise<PurchaseSignals>,
  ): Promise<void> {
    for (;;) {
      const base = this.model;
      const next = await make(base, nextTurn);
      if (this.model === base) return this.swap(next);
    }
  }

  /** Generation of the loaded co-purchase computation (null: none yet). */
  neighboursGeneration(): string | null {
    return this.generation;
  }

  /** Popularity as of `asOf` (default now) and the stored co-purchase neighbours, swapped in together. */
  async refresh(asOf = new Date()): Promise<PurchaseSignals> {
    // Both are mostly PostgreSQL time (hundreds of ms each on a full history): run them side by side.
    const [counts] = await Promise.all([this.buyerCounts(asOf), this.syncNeighbours(true)]);
    await this.swapPaced((base, between) => base.withCountsPaced(counts, asOf, between));
    return this.model;
  }

  /** Re-counts buyers; keeps the neighbours. */
  async refreshCounts(asOf = new Date()): Promise<void> {
    const counts = await this.buyerCounts(asOf);
    await this.swapPaced((base, between) => base.withCountsPaced(counts, asOf, between));
  }

  /** Loads the stored neighbours when their generation differs from the loaded one (or always, with `force`). */
  syncNeighbours(force = false): Promise<void> {
    const next = this.loading.then(async () => {
      if (!force) {
        const build = await this.store.current();
        if (!build || build.generation === this.generation) return;
      }
      const started = Date.now();
      const loaded = await this.store.load();
      if (!loaded) return;
      await this.swapPaced((base, between) =>
        base.withNeighboursPaced(loaded.lists, loaded.transitions, between),
      );
      this.generation = loaded.build.generation;
      this.logger.log(
        `co-purchase neighbours generation ${loaded.build.generation} (as of ${loaded.build.asOf.toISOString()}): ` +
          `${loaded.lists.size} items, transitions of ${loaded.transitions.size}, ${Date.now() - started} ms`,
      );
    });
    this.loading = next.catch(() => undefined);
    return next;
  }

  private async buyerCounts(asOf: Date): Promise<ItemBuyerCounts[]> {
    const started = Date.now();
    // In hours: an interval of days is a calendar day in the session's time zone, 23 or 25 hours across a DST change.
    const days = `${TRENDING_DAYS * 24} hours`;
    // One scan of the learned events counts trending both ways: over the days before `asOf`, and over the days
    // up to just after the latest learned event; which one serves is the shop clock's call (trendingWindowEnd).
    // A query for the latest event alone walked back over every view sent after the last purchase.
    const rows: Array<{
      item_id: string;
      buyers: number;
      recent: number;
      recent_before_latest: number;
      repeat: number;
      latest: Date;
    }> = await this.db.query(
      `WITH per_buyer AS (
         SELECT e.item_id, e.user_id, count(*) AS purchases, max(e.occurred_at) AS last_at
         FROM events e JOIN items i ON i.id = e.item_id AND i.deleted_at IS NULL
         WHERE e.type = ANY($2::varchar[]) AND e.occurred_at < $1
         GROUP BY e.item_id, e.user_id),
       latest AS (SELECT max(last_at) AS at FROM per_buyer)
       SELECT item_id, count(*)::int AS buyers,
              count(*) FILTER (WHERE last_at >= $1::timestamptz - $3::interval)::int AS recent,
              count(*) FILTER (
                WHERE last_at >= (SELECT at FROM latest) + interval '1 millisecond' - $3::interval
              )::int AS recent_before_latest,
              count(*) FILTER (WHERE purchases >= 2)::int AS repeat,
              (SELECT at FROM latest) AS latest
       FROM per_buyer GROUP BY item_id`,
      [asOf.toISOString(), await this.learning.types(), days],
    );
    // Trending ends where the shop's time stands (ShopClock): now, or just after its latest learned event.
    const end = this.clock.counted(asOf.getTime(), rows[0]?.latest.getTime());
    const sinceLatest = end < asOf.getTime();
    this.countsMs = Date.now() - started;
    return rows.map((r) => ({
      itemId: r.item_id,
      buyers: r.buyers,
      recentBuyers: sinceLatest ? r.recent_before_latest : r.recent,
      repeatBuyers: r.repeat,
    }));
  }
}
