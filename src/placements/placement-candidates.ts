import type { CatalogSnapshot } from '../catalog/catalog-snapshot';
import type { AppConfig } from '../config/app-config';
import type { ListOptions } from '../recommendations/dto/options.schema';
import type { ProfileService } from '../recommendations/profile.service';
import type { PurchaseSignalsService } from '../recommendations/purchase-signals.service';
import type { Reason } from '../recommendations/response';
import type { PlacementContext, PlacementDefinition } from './dto/placement.schema';
import type { ItemFieldsSnapshot } from './item-fields.snapshot';

export interface Candidate {
  id: string;
  score: number;
  reason?: Reason;
}

/**
 * The candidates of the placement kinds ranked by placements themselves (buy-again, trending, new arrivals); the
 * engine's kinds (for-you, similar, complements, search) rank in RecommendationsService.
 */
export class PlacementCandidates {
  constructor(
    private readonly interactions: PurchaseSignalsService,
    private readonly profiles: ProfileService,
    private readonly catalog: CatalogSnapshot,
    private readonly fields: ItemFieldsSnapshot,
    private readonly config: AppConfig,
  ) {}

  /** The best `opts.limit` candidates of the kinds ranked here, best first, under the page's filters. */
  async candidates(
    def: PlacementDefinition,
    context: PlacementContext,
    opts: ListOptions,
    now: Date,
    pass: (id: string) => boolean,
  ): Promise<{ items: Candidate[]; strategy: string }> {
    const limit = opts.limit;
    const model = this.interactions.current();
    switch (def.kind) {
      case 'buy-again': {
        const profile = await this.profiles.profile(context.userId!, now);
        const halfLifeMs = this.config.profileHalfLifeDays * 86_400_000;
        const items = profile.items
          .filter((p) => p.purchases > 0 && pass(p.itemId))
          .map((p): Candidate => {
            const recency = Math.pow(2, -(now.getTime() - p.lastAt.getTime()) / halfLifeMs);
            return {
              id: p.itemId,
              score: model.reorderRate(p.itemId) * (0.5 + 0.5 * recency),
              reason: { type: 'bought-before', count: p.purchases },
            };
          })
          .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
          .slice(0, limit);
        return { items, strategy: 'buy-again' };
      }
      case 'trending': {
        const items: Candidate[] = [];
        for (const id of model.trending) {
          if (items.length >= limit) break;
          if (pass(id))
            items.push({
              id,
              score: 1 + Math.log1p(model.recentBuyersOf(id)),
              reason: { type: 'popular', buyers: model.recentBuyersOf(id) },
            });
        }
        const strategy = items.length > 0 ? 'trending' : 'popular-fallback';
        // Too few recent sales (a quiet shop, imported history): all-time sellers fill, below every trending one.
        const top = Math.log1p(model.buyersOf(model.popular[0] ?? '')) + 1;
        const seen = new Set(items.map((i) => i.id));
        for (const id of model.popular) {
          if (items.length >= limit) break;
          if (!seen.has(id) && pass(id))
            items.push({
              id,
              score: Math.log1p(model.buyersOf(id)) / top,
              reason: { type: 'popular', buyers: model.buyersOf(id) },
            });
        }
        return { items, strategy };
      }
      default: {
        // new-arrivals
        const items: Candidate[] = [];
        for (const id of this.fields.newestFirst()) {
          if (items.length >= limit) break;
          // By the catalog's own dates: a product announced for later is not on sale yet.
          const since = this.catalog.get(id)?.availableFrom ?? now.getTime();
          if (since > now.getTime() || !pass(id)) continue;
          const age = now.getTime() - since;
          // Newer is higher; a month halves the score, so boosts compare with freshness on a known scale.
          items.push({ id, score: Math.pow(2, -Math.max(0, age) / (30 * 86_400_000)) });
        }
        return { items, strategy: 'new-arrivals' };
      }
    }
  }
}
