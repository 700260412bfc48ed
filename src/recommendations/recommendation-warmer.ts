import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EventsRepository } from '../events/events.repository';
import { LONG_RUNNING_SERVER } from '../common/long-running-server';
import { IndexService } from '../vector-index/index.service';
import type { VectorIndex } from '../vector-index/vector-index.port';
import { userQuerySchema } from './dto/options.schema';
import type { Subscription } from 'rxjs';
import { ListWarmers } from './list-warmers';
import { RecommendationsService } from './recommendations.service';

/** What GET /v1/users/:id/recommendations asks for without query parameters. */
const DEFAULT_REQUEST = userQuerySchema.parse({});

export interface WarmerStatus {
  /** A pass is running. */
  warming: boolean;
  /** Another pass will start as soon as this one ends (the lists to warm changed meanwhile). */
  pending: boolean;
  /** Lists computed by the current or last pass, and users it covers. */
  warmed: number;
  users: number;
  /** Items whose similar list the current or last pass ranked and held (see RecommendationsService.similar). */
  similarLists: number;
  lastPassAt: string | null;
}

/**
 * Keeps the default personalised list of the RECS_WARM_USERS most recently active users in the list cache,
 * as recommendation engines that serve from precomputed lists do: a pass at start-up, then every half TTL,
 * recomputing only lists that are missing (a user's new events, another model or blend) or half expired.
 * It runs one user at a time between requests, so it spends idle time, not latency. Each pass then ranks the
 * similar lists of indexed items that are not held for the current index, co-purchase generation and blend.
 */
@Injectable()
export class RecommendationWarmer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RecommendationWarmer');
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private state: Omit<WarmerStatus, 'pending'> = {
    warming: false,
    warmed: 0,
    users: 0,
    similarLists: 0,
    lastPassAt: null,
  };
  private running = false;
  private again = false;
  /** The indexes the warning about held similar lists was given for (once each; weak: a replaced one goes). */
  private readonly warnedShortFor = new WeakSet<VectorIndex>();
  private readonly sub: Subscription;

  constructor(
    private readonly recs: RecommendationsService,
    private readonly events: EventsRepository,
    private readonly index: IndexService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LONG_RUNNING_SERVER) private readonly polling: boolean,
    private readonly others: ListWarmers,
  ) {
    this.sub = others.nudges$.subscribe(() => this.nudge());
  }

  get enabled(): boolean {
    return this.polling && this.config.recsCacheTtlMs > 0 && this.config.recsWarmUsers > 0;
  }

  onApplicationBootstrap(): void {
    if (this.enabled) this.schedule(0);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.sub.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
  }

  status(): WarmerStatus {
    return { ...this.state, pending: this.again };
  }

  /** The lists to warm changed: pass again now, or as soon as the running pass ends. */
  private nudge(): void {
    if (!this.enabled || this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = true;
      this.again = false;
      this.pass()
        .catch((e: unknown) => this.logger.error(`warming failed: ${(e as Error).message}`))
        // Until the first index is loaded, look again soon: waiting half a TTL would leave a fresh server's
        // first shoppers with computed lists for minutes.
        .finally(() => {
          this.running = false;
          this.schedule(
            this.again ? 0 : this.index.current() ? Math.max(1000, this.config.recsCacheTtlMs / 2) : 1000,
          );
        });
    }, ms);
    this.timer.unref();
  }

  /**
   * An index larger than RECS_SIMILAR_CACHE_ITEMS leaves some product pages without a held list: each of their
   * requests ranks one (~10x a held list's CPU; bench/README.md), which an operator sees only as slow pages.
   */
  private warnIfSimilarListsFallShort(): void {
    const index = this.index.current();
    const held = this.config.recsSimilarCacheItems;
    if (!index || held === 0 || index.size <= held || this.warnedShortFor.has(index)) return;
    this.warnedShortFor.add(index);
    this.logger.warn(
      `${index.size} items are indexed, but RECS_SIMILAR_CACHE_ITEMS holds the similar lists of ${held}: ` +
        'the other product pages rank theirs on every request. Set it above the catalog size.',
    );
  }

  /** One pass over the most recently active users; exposed for tests and benchmarks. */
  async pass(): Promise<WarmerStatus> {
    // Nothing to warm before an index exists (a fresh install builds it first).
    if (!this.index.current()) return this.status();
    const users = await this.events.recentlyActiveUsers(this.config.recsWarmUsers);
    this.state = {
      warming: true,
      warmed: 0,
      users: users.length,
      similarLists: 0,
      lastPassAt: this.state.lastPassAt,
    };
    const started = Date.now();
    try {
      for (const userId of users) {
        if (this.stopped) break;
        if (!this.recs.listIsFresh(userId, DEFAULT_REQUEST)) {
          await this.recs.forUser(userId, DEFAULT_REQUEST);
          this.state.warmed += 1;
        }
        // The other lists of this user (placements with rules), each only when missing or half expired.
        for (const warm of this.others.all()) this.state.warmed += await warm(userId);
        // Requests queued meanwhile go first.
        await new Promise<void>((r) => setImmediate(r));
      }
      // Then every product page's similar list not held for the current index, co-purchase and blend.
      this.state.similarLists = await this.recs.precomputeSimilar(() => this.stopped);
      this.warnIfSimilarListsFallShort();
    } finally {
      this.state.warming = false;
      this.state.lastPassAt = new Date().toISOString();
    }
    if (this.state.warmed > 0)
      this.logger.log(
        `warmed ${this.state.warmed} of ${users.length} users' lists in ${Date.now() - started} ms`,
      );
    return this.status();
  }
}
