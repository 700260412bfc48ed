import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { LearningEvents } from '../events/learning-events.service';
import { ShopClock } from '../events/shop-clock';
import { ItemsRepository } from '../catalog/items.repository';
import { EventsRepository } from '../events/events.repository';
import { ModelActivationService } from '../training/model-activation.service';
import { IndexService } from '../vector-index/index.service';
import { RecommendationWarmer } from '../recommendations/recommendation-warmer';
import { RecommendationsService } from '../recommendations/recommendations.service';
import { PurchaseSignalsService } from '../recommendations/purchase-signals.service';
import { SessionThread } from '../session-thread/session-thread.service';

/** Counts for GET /v1/admin/stats, with the served index and the active model. */
@Injectable()
export class StatsService {
  constructor(
    private readonly items: ItemsRepository,
    private readonly events: EventsRepository,
    private readonly index: IndexService,
    private readonly activation: ModelActivationService,
    private readonly warmer: RecommendationWarmer,
    private readonly learning: LearningEvents,
    private readonly sessionThread: SessionThread,
    private readonly recs: RecommendationsService,
    private readonly signals: PurchaseSignalsService,
    private readonly clock: ShopClock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async stats(): Promise<Record<string, unknown>> {
    const [items, counts, learned] = await Promise.all([
      this.items.countLive(),
      this.events.counts(),
      this.learning.types(),
    ]);
    const index = this.index.current();
    return {
      items,
      users: counts.users,
      events: counts.events,
      index: index
        ? {
            size: index.size,
            dimension: index.info.dimension,
            modelVersion: index.info.modelVersion,
            builtAt: index.info.builtAt,
            efSearch: index.info.efSearch,
          }
        : null,
      encoder: index?.info.encoderId ?? null,
      activeModel: this.activation.activeVersion(),
      listCache: this.warmer.enabled ? this.warmer.status() : null,
      // What counts as "bought" for the learned signals (LEARN_FROM and, under auto, what the shop has sent).
      learnsFrom: { setting: this.config.learnFrom, minShare: this.config.learnFromMinShare, types: learned },
      // Which co-purchase computation this process serves: replicas on one database converge on the same one.
      copurchase: {
        generation: this.signals.neighboursGeneration(),
        items: this.signals.current().neighbourItems,
        transitionItems: this.signals.current().transitionItems,
      },
      // Where trending and popular windows count back from (ShopClock): null while the shop sells
      // within 30 days (the clock), else just after its latest learned event.
      shopClock: { standsAt: this.clock.anchoredAt?.toISOString() ?? null },
      // Where session lists gather their candidates (SESSION_THREAD): how many on the thread, how many in-process.
      sessionThread: this.sessionThread.stats(),
      // Session candidate sets held for repeated carts (RECS_SESSION_CACHE_MAX_BYTES): entries, bytes, hits, misses.
      sessionCache: this.recs.sessionSetCacheStats(),
    };
  }
}
