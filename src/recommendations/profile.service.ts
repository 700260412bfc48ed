import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EventsRepository, type UserItemAggregate } from '../events/events.repository';
import { UserChanges } from '../events/user-changes';

export interface ProfileItem {
  itemId: string;
  /** Purchase events of this item. */
  purchases: number;
  /** Events of any type on this item. */
  events: number;
  /** The strongest event type's weight (a rating's preference, −1…+1, when rated). */
  typeWeight: number;
  /**
   * log(1 + events) × 2^(−age / half-life) × typeWeight: the weight of this item in the profile vector, the same
   * formula the fine-tune trains its contexts with.
   */
  weight: number;
  lastAt: Date;
}

export interface UserProfile {
  userId: string;
  items: ProfileItem[];
  events: number;
}

const CACHE_MAX = 10_000;

/**
 * A user's profile from their most recent events: purchase > add_to_cart > view (configurable weights),
 * ratings shift the weight by preference, and every event decays with a configurable half-life.
 * Cached per user and dropped as soon as the user's events change (ingest or erase).
 */
@Injectable()
export class ProfileService implements OnModuleDestroy {
  private readonly cache = new Map<string, UserItemAggregate[]>();
  private readonly sub: Subscription;

  constructor(
    private readonly events: EventsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly changes: UserChanges,
  ) {
    this.sub = changes.changes$.subscribe((ids) => ids.forEach((id) => this.cache.delete(id)));
    this.sub.add(changes.cleared$.subscribe(() => this.cache.clear()));
  }

  onModuleDestroy(): void {
    this.sub.unsubscribe();
  }

  async profile(userId: string, now: Date): Promise<UserProfile> {
    let items = this.cache.get(userId);
    if (!items) {
      const ticket = this.changes.ticket();
      items = await this.events.recentItemAggregates(userId, now, this.config.profileMaxEvents);
      if (!this.changes.changedSince(userId, ticket)) {
        if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
        this.cache.set(userId, items);
      }
    }
    return buildProfile(userId, items, now, this.config);
  }
}

/**
 * Weights of a user's items: the strongest event type's weight (the latest rating's preference instead, when
 * rated: 1 → −1, 3 → 0, 5 → +1, so a bad rating pushes the item's neighbourhood away) × log(1 + events) ×
 * 2^(−age / half-life) of the latest event.
 */
export function buildProfile(
  userId: string,
  aggregates: readonly UserItemAggregate[],
  now: Date,
  config: Pick<AppConfig, 'profileHalfLifeDays' | 'eventWeights'>,
): UserProfile {
  const halfLifeMs = config.profileHalfLifeDays * 86_400_000;
  const w = config.eventWeights;
  let counted = 0;
  const items: ProfileItem[] = [];
  for (const a of aggregates) {
    // Cached aggregates may be older than a request's clock, never newer: nothing in the future is counted.
    if (a.lastAt.getTime() >= now.getTime()) continue;
    counted += a.events;
    const typeWeight =
      a.rating !== null
        ? (a.rating - 3) / 2
        : Math.max(
            a.purchases > 0 ? w.purchase : -Infinity,
            a.addToCarts > 0 ? w.add_to_cart : -Infinity,
            a.views > 0 ? w.view : -Infinity,
          );
    const age = Math.max(0, now.getTime() - a.lastAt.getTime());
    items.push({
      itemId: a.itemId,
      purchases: a.purchases,
      events: a.events,
      typeWeight,
      weight: Math.log1p(a.events) * Math.pow(2, -age / halfLifeMs) * typeWeight,
      lastAt: a.lastAt,
    });
  }
  return { userId, items, events: counted };
}
