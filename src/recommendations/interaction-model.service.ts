import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { JOBS_POLLING } from '../jobs/jobs.service';
import type { Subscription } from 'rxjs';
import { UserChanges } from '../events/user-changes';
import { InteractionModel, type PurchasePair } from './interaction-model';

/**
 * Holds the shop-wide interaction model (popularity, trending, co-purchase neighbours), rebuilt from the
 * events table at start-up and every STATS_REFRESH_MS; a rebuild swaps in whole, requests never wait on it.
 */
@Injectable()
export class InteractionModelService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('InteractionModel');
  private model = InteractionModel.empty();
  private timer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private lastMs = 0;
  private readonly sub: Subscription;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOBS_POLLING) private readonly polling: boolean,
    changes: UserChanges,
  ) {
    // New purchases reach popularity and co-purchase soon, not only at the periodic refresh; the delay grows
    // with the rebuild's cost so a steady event stream spends at most ~3% of a core on it (the rebuild runs on the event loop; a worker thread is the next step).
    this.sub = changes.changes$.subscribe(() => {
      if (!this.polling || this.pending) return;
      this.pending = setTimeout(
        () => {
          this.pending = undefined;
          this.refresh().catch((e: unknown) => this.logger.error(`refresh failed: ${(e as Error).message}`));
        },
        Math.max(2000, this.lastMs * 10),
      );
      this.pending.unref();
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.polling) return;
    await this.refresh();
    if (this.config.statsRefreshMs > 0) {
      this.timer = setInterval(() => {
        this.refresh().catch((e: unknown) => this.logger.error(`refresh failed: ${(e as Error).message}`));
      }, this.config.statsRefreshMs);
      this.timer.unref();
    }
  }

  onModuleDestroy(): void {
    this.sub.unsubscribe();
    if (this.pending) clearTimeout(this.pending);
    if (this.timer) clearInterval(this.timer);
  }

  current(): InteractionModel {
    return this.model;
  }

  /** Rebuilds from purchases before `asOf` (default now) and swaps the result in. */
  async refresh(asOf = new Date()): Promise<InteractionModel> {
    const started = Date.now();
    const rows: Array<{ user_id: string; item_id: string; rows: string; last_at: Date }> =
      await this.db.query(
        `SELECT e.user_id, e.item_id, count(*)::bigint AS rows, max(e.occurred_at) AS last_at
       FROM events e JOIN items i ON i.id = e.item_id AND i.deleted_at IS NULL
       WHERE e.type = 'purchase' AND e.occurred_at < $1
       GROUP BY e.user_id, e.item_id`,
        [asOf.toISOString()],
      );
    const pairs: PurchasePair[] = rows.map((r) => ({
      userId: r.user_id,
      itemId: r.item_id,
      rows: Number(r.rows),
      lastAt: r.last_at,
    }));
    this.model = new InteractionModel(pairs, asOf);
    this.lastMs = Date.now() - started;
    this.logger.log(
      `interaction model: ${pairs.length} user-item pairs, ${this.model.buyers.size} items, ${Date.now() - started} ms`,
    );
    return this.model;
  }
}
