import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EventsRepository, type StoredEvent } from '../events/events.repository';
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
  private readonly cache = new Map<string, StoredEvent[]>();
  private readonly sub: Subscription;

  constructor(
    private readonly events: EventsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    changes: UserChanges,
  ) {
    this.sub = changes.changes$.subscribe((ids) => ids.forEach((id) => this.cache.delete(id)));
  }

  onModuleDestroy(): void {
    this.sub.unsubscribe();
  }

  async profile(userId: string, now: Date): Promise<UserProfile> {
    let events = this.cache.get(userId);
    if (!events) {
      events = await this.events.recentForUser(userId, this.config.profileMaxEvents);
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(userId, events);
    }
    return buildProfile(userId, events, now, this.config);
  }
}

export function buildProfile(
  userId: string,
  events: readonly StoredEvent[],
  now: Date,
  config: Pick<AppConfig, 'profileHalfLifeDays' | 'eventWeights'>,
): UserProfile {
  const byItem = new Map<string, ProfileItem>();
  const halfLifeMs = config.profileHalfLifeDays * 86_400_000;
  let counted = 0;
  for (const e of events) {
    if (e.occurredAt.getTime() >= now.getTime()) continue; // the future (or the evaluation's test period) is unseen
    counted += 1;
    let w: number;
    switch (e.type) {
      case 'purchase':
        w = config.eventWeights.purchase;
        break;
      case 'add_to_cart':
        w = config.eventWeights.add_to_cart;
        break;
      case 'view':
        w = config.eventWeights.view;
        break;
      case 'rating':
        // 1 → −1, 3 → 0, 5 → +1: a bad rating pushes the item's neighbourhood away.
        w = ((e.value ?? 3) - 3) / 2;
        break;
    }
    const p = byItem.get(e.itemId) ?? {
      itemId: e.itemId,
      purchases: 0,
      events: 0,
      typeWeight: -Infinity,
      weight: 0,
      lastAt: e.occurredAt,
    };
    p.events += 1;
    if (e.type === 'rating') p.typeWeight = w;
    else if (p.typeWeight < w) p.typeWeight = w;
    if (e.type === 'purchase') p.purchases += 1;
    if (e.occurredAt > p.lastAt) p.lastAt = e.occurredAt;
    byItem.set(e.itemId, p);
  }
  for (const p of byItem.values()) {
    p.weight =
      Math.log1p(p.events) * Math.pow(2, -(now.getTime() - p.lastAt.getTime()) / halfLifeMs) * p.typeWeight;
  }
  return { userId, items: [...byItem.values()], events: counted };
}
